/**
 * One worker process of the scale-out scenario. Connects, says `ready`, starts
 * its worker on `go`, reports its completed count every 50 ms, and on `stop`
 * stops and reports the CPU its process spent since `go`, then exits.
 *   argv: <system name> <redis url> <queue> <concurrency>
 */
import { systemByName } from "../systems/all.js";

const [name = "", url = "", queueName = "", concurrency = "50"] = process.argv.slice(2);
const send = (message: object) => process.send?.(message);
const system = await systemByName(name).create(url, queueName);
let cpu = process.cpuUsage();
let stopWorker: (() => Promise<void>) | undefined;
let timer: NodeJS.Timeout | undefined;

process.on("message", async (message: { do: "go" | "stop" }) => {
  if (message.do === "go") {
    cpu = process.cpuUsage();
    stopWorker = (await system.startWorker(Number(concurrency))).stop;
    timer = setInterval(async () => send({ completed: await system.completedCount() }), 50);
  } else {
    clearInterval(timer);
    const used = process.cpuUsage(cpu);
    await stopWorker?.();
    await system.close();
    send({ cpuMicros: used.user + used.system });
    process.disconnect();
    process.exit(0);
  }
});
send({ ready: true });
