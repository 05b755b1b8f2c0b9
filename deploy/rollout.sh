#!/bin/sh
# Restart (or upgrade) one compose service with no failed request: start as many fresh replicas as
# run now beside the old ones, wait until they are healthy and the proxy has resolved them, then
# stop the old ones one at a time (SIGTERM: each answers its waits and finishes what is in flight
# while nginx sends new requests to the others) and remove them.
#
#   deploy/rollout.sh api              # the compose file beside this script, unless COMPOSE_FILE says otherwise
#   docker build -t interlock:latest . && deploy/rollout.sh api   # an upgrade: the new replicas run the new image
#
# `docker compose up --force-recreate api` instead replaces every replica at once (Compose has no
# rolling update within a service), and for those seconds no replica answers.
set -eu

service=${1:?usage: rollout.sh SERVICE}
: "${COMPOSE_FILE:=$(dirname "$0")/docker-compose.yml}"  # as `docker compose -f deploy/docker-compose.yml`
export COMPOSE_FILE
settle=${ROLLOUT_SETTLE_S:-3}  # > the proxy's resolver `valid=` (deploy/nginx.conf): it must know the new replicas
grace=${ROLLOUT_STOP_TIMEOUT_S:-20}  # the service's stop_grace_period
wait=${ROLLOUT_WAIT_S:-120}  # for the new replicas to be healthy; past it nothing old is touched

old=$(docker compose ps --quiet "$service")
count=$(printf '%s\n' "$old" | grep -c .) || true
if [ "$count" -eq 0 ]; then
  echo "rollout: no running container of $service" >&2
  exit 1
fi
echo "rollout: starting $count new $service replica(s) beside $count old"
docker compose up --detach --no-deps --no-recreate --wait --wait-timeout "$wait" --scale "$service=$((count * 2))" "$service"
sleep "$settle"
for id in $old; do
  echo "rollout: stopping $(docker inspect --format '{{.Name}}' "$id" | cut -c2-)"
  docker stop --time "$grace" "$id" >/dev/null
  docker rm "$id" >/dev/null
done
echo "rollout: $service runs $count new replica(s)"
