#!/usr/bin/env bash
# The Kubernetes cluster quickstart on a fresh machine: installs the local AWS emulator (moto)
# into ~/.cache/slipway/moto-venv if it is missing, starts it on a free port of 127.0.0.1, makes
# the state-store bucket and the DNS zone the course's `kops create cluster` line expects to
# exist, then runs examples/kops-cluster unchanged against it through the AWS SDK's own
# AWS_ENDPOINT_URL: plan, apply, a second plan with no changes, a scale-up to 3 nodes and
# destroy, each step announced. The emulator is stopped on the way out, whatever happens.
#
#   examples/quickstart.sh          (QUICKSTART_PROFILE=release for a release build; SLIPWAY names
#                                    a binary already built)
#
# Against AWS: the same directory, with credentials and without AWS_ENDPOINT_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PROFILE="${QUICKSTART_PROFILE:-debug}"
step() { printf '\n==> %s\n' "$*"; }

if [ -z "${SLIPWAY:-}" ]; then
  step "building slipway ($PROFILE)"
  if [ "$PROFILE" = release ]; then cargo build --release -q -p slipway; else cargo build -q -p slipway; fi
  TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
  SLIPWAY="$TARGET_DIR/$PROFILE/slipway"
fi

MOTO_SERVER="${MOTO_SERVER:-$HOME/.cache/slipway/moto-venv/bin/moto_server}"
if [ ! -x "$MOTO_SERVER" ]; then
  step "installing the local AWS emulator (moto 5.1.22) into ~/.cache/slipway/moto-venv"
  python3 -m venv "$HOME/.cache/slipway/moto-venv"
  "$HOME/.cache/slipway/moto-venv/bin/pip" install --quiet 'moto[server]==5.1.22'
  MOTO_SERVER="$HOME/.cache/slipway/moto-venv/bin/moto_server"
fi

WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
step "starting the emulator on $URL"
"$MOTO_SERVER" -H 127.0.0.1 -p "$PORT" > "$WORK/moto.log" 2>&1 &
MOTO_PID=$!
stop() {
  kill "$MOTO_PID" 2> /dev/null || true
  wait "$MOTO_PID" 2> /dev/null || true
  rm -rf "$WORK"
  echo "==> emulator stopped"
}
trap stop EXIT
until curl -s -o /dev/null "$URL/moto-api/"; do sleep 0.2; done

# What `kops create cluster` expects to exist already: the state-store bucket and the zone.
step "creating the state store s3://your-kops-state-store and the zone k8s.example.com"
curl -fsS -X PUT "$URL/your-kops-state-store" > /dev/null
# moto tells services apart by the credential scope of the (unchecked) signature.
curl -fsS -X POST "$URL/2013-04-01/hostedzone" -H 'Content-Type: application/xml' \
  -H 'Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0' \
  --data-binary \
  '<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>k8s.example.com</Name><CallerReference>quickstart</CallerReference></CreateHostedZoneRequest>' \
  > /dev/null

# The example refers to the module by a relative path: copy both, keeping the layout.
mkdir -p "$WORK/examples" "$WORK/modules"
cp -r "$ROOT/examples/kops-cluster" "$WORK/examples/"
cp -r "$ROOT/modules/kubernetes-cluster" "$WORK/modules/"
cd "$WORK/examples/kops-cluster"
export AWS_ENDPOINT_URL="$URL" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1

step "slipway init"
"$SLIPWAY" init
step "slipway plan -out=tfplan   (kops create cluster)"
"$SLIPWAY" plan -out=tfplan
step "slipway apply tfplan   (kops update cluster --yes)"
"$SLIPWAY" apply tfplan
step "slipway output"
"$SLIPWAY" output
step "slipway plan -detailed-exitcode   (nothing to do: exit 0)"
"$SLIPWAY" plan -detailed-exitcode
step "slipway apply -var node_count=3   (kops edit ig nodes; kops update cluster --yes)"
"$SLIPWAY" apply -auto-approve -var node_count=3
step "slipway destroy   (kops delete cluster --yes)"
"$SLIPWAY" destroy -auto-approve -var node_count=3
