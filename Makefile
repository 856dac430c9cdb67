# R-queue: the two commands a newcomer needs are `make dev` and `make test`.
# Both install what is missing first (npm dependencies, redis-server via apt).
.PHONY: deps dev test test-unit typecheck lint format fuzz bench bench-full image deploy destroy clean

deps:
	@bash scripts/ensure-deps.sh

## Start the whole stack locally: Redis (embedded if none reachable), control plane, autoscaled workers.
dev: deps
	npx tsx --conditions=development scripts/dev.ts

## Typecheck, lint and run every test against real Redis servers the harness starts.
test: deps typecheck lint test-unit

test-unit: deps
	npx vitest run

## The engine's model-based randomized test, long (CI runs a short version); FUZZ_SEED=<n> replays a failure.
fuzz: deps
	FUZZ_RUNS=$${FUZZ_RUNS:-500} FUZZ_STEPS=$${FUZZ_STEPS:-80} npx vitest run shared/src/queue/engine-model.test.ts

typecheck: deps
	npx tsc -p tsconfig.json

lint: deps
	npx biome check .

format: deps
	npx biome check --write .

## Throughput, latency and memory against BullMQ on the same Redis, in the same run.
bench: deps
	npx tsx --conditions=development bench/src/run.ts

## Archive search latency at 10M finished jobs in PostgreSQL (BENCH_ARCHIVE_ROWS, BENCH_ARCHIVE_URL).
bench-full: deps
	npx tsx --conditions=development bench/src/archive/search-at-scale.ts

image:
	docker build -f worker-image/Dockerfile -t rqueue-worker .
	docker build -f control-plane/Dockerfile -t rqueue-control-plane .

# Deploying needs only Node.js, the Pulumi CLI, AWS credentials and Docker (checked one by one by
# the script), not the local toolchain `deps` installs through apt: it runs from macOS too.
deploy:
	bash infra/scripts/deploy.sh

destroy:
	bash infra/scripts/destroy.sh

clean:
	rm -rf node_modules */node_modules */dist .data
