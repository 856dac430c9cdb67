# R-queue: the two commands a newcomer needs are `make dev` and `make test`.
# Both install what is missing first (npm dependencies, redis-server via apt).
.PHONY: audit deps build dashboard test-dashboard test-e2e dev dev-stack test test-unit test-chaos chaos soak typecheck lint format fuzz bench bench-full image deploy destroy roll-redis clean

deps:
	@bash scripts/ensure-deps.sh

## Compiled JavaScript of the engine, control plane and worker (incremental: a rebuild
## re-emits only what changed), which make dev runs.
build: deps
	npm run build -w shared -w control-plane -w worker-image -w cli

## The SolidJS dashboard's production build (dashboard/dist), which the control plane serves at /.
dashboard: deps
	npm run build -w dashboard

## Start the whole stack locally: Redis (embedded if none reachable), control plane, autoscaled workers.
## tsx is run directly, not through npx: npx's shell swallowed a SIGTERM sent to make, and the stack
## kept running (make relays SIGTERM to its child; tsx relays it to scripts/dev.ts).
DEV_STACK = node_modules/.bin/tsx --conditions=development scripts/dev.ts
dev: deps build dashboard
	$(DEV_STACK)

## make dev without installing and building first (the SIGTERM test runs it with RQ_DEV_FROM_SOURCE=1).
dev-stack:
	$(DEV_STACK)

## Typecheck, lint and run every test against real Redis servers the harness starts.
test: deps typecheck lint audit test-unit test-chaos test-dashboard test-e2e

## Builds first: the package, CLI and own-handlers tests run the compiled packages, as users get them.
test-unit: deps build
	npx vitest run

## The dashboard's component tests (happy-dom).
test-dashboard: deps
	npx vitest run --config dashboard/vitest.config.ts

## The dashboard in headless Chromium against a real stack (Redis, control plane, a worker), desktop and phone.
test-e2e: deps dashboard
	npx vitest run --config dashboard/vitest.e2e.config.ts

## The short chaos suite and the 60 s soak (small retention caps), one file at a time.
test-chaos: deps
	npx vitest run --config chaos/vitest.config.ts

## The chaos suite alone: kill -9 / freeze workers and Redis, scale-in, hung handlers, a proxy
## cutting one worker's connection; prints a table. CHAOS_LONG=1: 20k jobs, 20 kills; CHAOS_SEED=<n> replays.
chaos: deps
	npx vitest run --config chaos/vitest.config.ts chaos/src/chaos.test.ts

## The soak with default retention: make soak DURATION=30m (s, m or h; default 10m). Writes
## chaos/results/soak.{csv,svg,png}; exits 1 unless memory plateaus and latency stays steady.
soak: deps
	DURATION=$(DURATION) npx tsx --conditions=development chaos/src/soak-cli.ts

## The engine's model-based randomized test, long (CI runs a short version); FUZZ_SEED=<n> replays a failure.
fuzz: deps
	FUZZ_RUNS=$${FUZZ_RUNS:-500} FUZZ_STEPS=$${FUZZ_STEPS:-80} npx vitest run shared/src/queue/engine-model.test.ts

## npm audit of production dependencies: fails on high/critical; skipped (passes) when the advisory
## endpoint cannot be reached, unless RQ_AUDIT_REQUIRED=1.
audit: deps
	node scripts/npm-audit.mjs

typecheck: deps
	npx tsc -p tsconfig.json
	npx tsc -p dashboard/tsconfig.json

lint: deps
	npx biome check .

format: deps
	npx biome check --write .

## R-queue against BullMQ and Bee-Queue on the same Redis in the same run (drain, priorities, bulk,
## memory, latency, CPU per job), HTTP submit, scale-out and a make dev system drain; under 3 minutes.
## BENCH_ONLY=drain,priorities,bulk,latency,http,scale-out,system,deps picks; ARGS=--json prints JSON lines (after the build output).
bench: deps build
	npx tsx --conditions=development bench/src/run.ts $(ARGS)

## The same at 100k-job sizes and 5 rounds, plus dashboard queries over a million pending jobs; archive
## search latency at 10M finished jobs in PostgreSQL (BENCH_ARCHIVE_ROWS, BENCH_ARCHIVE_URL), archive lag under a drain.
bench-full: deps build
	BENCH_FULL=1 npx tsx --conditions=development bench/src/run.ts $(ARGS)
	npx tsx --conditions=development bench/src/archive/search-at-scale.ts
	npx tsx --conditions=development bench/src/archive/archive-lag.ts

## The worker and control-plane images (checks for a running Docker engine first).
image:
	bash infra/scripts/image.sh

# Deploying needs only Node.js, the Pulumi CLI, AWS credentials and Docker (checked one by one by
# the script), not the local toolchain `deps` installs through apt: it runs from macOS too.
## Without a terminal it only previews unless ARGS=--yes (or RQ_DEPLOY_YES=1).
deploy:
	bash infra/scripts/deploy.sh $(ARGS)

destroy:
	bash infra/scripts/destroy.sh

## Replace one Redis node (new AMI or bootstrap): make roll-redis NODE=3 [STACK=prod]
roll-redis:
	NODE=$(NODE) bash infra/scripts/roll-redis.sh

clean:
	rm -rf node_modules */node_modules */dist .data
