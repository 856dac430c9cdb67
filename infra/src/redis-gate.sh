# The ECS tasks' readiness gate (ecs-task.ts): polls every node of REDIS_URL
# (redis-cluster://ip:port,...) until one reports cluster_state:ok, then exits 0 so the app
# container starts. redis-cli reads the password from REDISCLI_AUTH.
nodes="$(echo "${REDIS_URL#*://}" | tr "," " ")"
while :; do
  for node in $nodes; do
    if redis-cli -h "${node%:*}" -p "${node##*:}" --no-auth-warning cluster info 2>/dev/null | grep -q "^cluster_state:ok"; then
      echo "Redis Cluster ready ($node)"
      exit 0
    fi
  done
  echo "waiting for the Redis Cluster to form"
  sleep 5
done
