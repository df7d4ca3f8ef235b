#!/usr/bin/env bash
# Runs PingOne's "login + MFA sign-on" workflow (call 0 + the 20 documented calls) with plain
# curl against the sandbox binary, exactly as PingOne's docs write the requests: only the base
# URL differs. Cookies go through curl's cookie jar, the OTP is read from the sandbox outbox
# (GET /_sandbox/outbox, the one non-PingOne path), PKCE is computed with openssl. A few error
# cases run too (missing token, duplicate username, wrong password, wrong OTP, code reuse).
# Prints every request and response; exits 1 at the first status that differs from PingOne's.
#
#   scripts/curl-workflow.sh            (builds crates/sandbox with cargo first)
#   SANDBOX_BIN=/path/to/pingone-sandbox scripts/curl-workflow.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
exec </dev/null

if [ -z "${SANDBOX_BIN:-}" ]; then
  cargo build -q -p sandbox --bin pingone-sandbox
  SANDBOX_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/pingone-sandbox"
fi

TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

"$SANDBOX_BIN" --listen 127.0.0.1:0 --quiet >"$TMP/ready" 2>"$TMP/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do
  [ -s "$TMP/ready" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$TMP/ready" ] || { echo "the sandbox did not start" >&2; exit 1; }

# json FILE PYTHON-EXPRESSION: evaluates the expression with `d` bound to the JSON in FILE.
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

READY="$TMP/ready"
ENV_ID="$(json "$READY" 'd["env_id"]')"
WORKER_ID="$(json "$READY" 'd["worker_client_id"]')"
WORKER_SECRET="$(json "$READY" 'd["worker_client_secret"]')"
API="$(json "$READY" 'd["api_base"]')"      # https://api.pingone.com/v1 on PingOne
AUTH="$(json "$READY" 'd["auth_base"]')"    # https://auth.pingone.com/{envId} on PingOne
BASE="$(json "$READY" 'd["base_url"]')"
JAR="$TMP/cookies"
echo "sandbox: $(cat "$READY" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["worker_client_secret"]="…"; print(json.dumps(d))')"

b64url() { base64 | tr '+/' '-_' | tr -d '=\n'; }
# short: compact JSON (each `_links` shown as its relation names), JWTs cut, long text cut.
short() {
  python3 -c '
import json, re, sys
s = sys.stdin.read()
def squash(x):
    if isinstance(x, dict):
        return {k: (sorted(v) if k == "_links" and isinstance(v, dict) else squash(v)) for k, v in x.items()}
    return [squash(i) for i in x] if isinstance(x, list) else x
try:
    s = json.dumps(squash(json.loads(s)), separators=(",", ":"))
except ValueError:
    s = " ".join(s.split())
s = re.sub(r"(eyJ[\w-]{10})[\w.-]{20,}", r"\1…", s)
print(s if len(s) <= 900 else s[:900] + "…")'
}

STEP=0
# call NAME EXPECTED_STATUS CURL-ARGS...: runs curl, prints request and response, checks the status.
# The response body lands in $TMP/body, its headers in $TMP/headers.
call() {
  local name="$1" expected="$2"; shift 2
  STEP=$((STEP + 1))
  echo
  echo "── $name"
  local method="" url="" get=0 prev="" arg headers=() data=()
  for arg in "$@"; do
    case "$prev" in
      -X) method="$arg" ;;
      -H) headers+=("$(printf '%s' "$arg" | sed -E 's/(Authorization: (Bearer|Basic) .{12}).*/\1…/')") ;;
      --data | --data-urlencode) data+=("$arg") ;;
    esac
    case "$arg" in http*) url="$arg" ;; -G) get=1 ;; esac
    prev="$arg"
  done
  if [ "$get" = 1 ]; then
    url="$url?$(printf '%s\n' "${data[@]}" | paste -sd'&' -)"
    data=()
  fi
  [ -n "$method" ] || { [ ${#data[@]} -gt 0 ] && method=POST || method=GET; }
  echo "  > $method $url"
  for arg in "${headers[@]}"; do echo "  > $arg"; done
  if [ ${#data[@]} -gt 0 ]; then echo "  > $(printf '%s\n' "${data[@]}" | paste -sd'&' - | short)"; fi
  local status
  status="$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -b "$JAR" -c "$JAR" "$@")"
  echo "  < HTTP $status"
  grep -iE '^(location|set-cookie|content-type|www-authenticate):' "$TMP/headers" | tr -d '\r' | sed -E 's/^/  < /; s/(=[^;]{8})[^;]*;/\1…;/' || true
  if [ -s "$TMP/body" ]; then echo "  < $(short <"$TMP/body")"; fi
  if [ "$status" != "$expected" ]; then
    echo "FAILED: $name answered $status, expected $expected" >&2
    exit 1
  fi
}

SUFFIX="$(openssl rand -hex 3)"
USERNAME="jamie.doe.$SUFFIX"
EMAIL="jamie.doe.$SUFFIX@example.com"
PASSWORD='Correct-Horse-9!'
REDIRECT_URI="https://www.google.com"

# ---- 0. worker token ----
call "0. Get a worker application access token" 200 -X POST "$AUTH/as/token" \
  -H "Authorization: Basic $(printf '%s:%s' "$WORKER_ID" "$WORKER_SECRET" | base64 | tr -d '\n')" \
  -H 'Content-Type: application/x-www-form-urlencoded' --data 'grant_type=client_credentials'
TOKEN="$(json "$TMP/body" 'd["access_token"]')"
BEARER="Authorization: Bearer $TOKEN"

# ---- error: no token on the management API ----
call "error: read resources without a token" 401 "$API/environments/$ENV_ID/resources"

# ---- 1-13 provision ----
call "1. Create the web application" 201 -X POST "$API/environments/$ENV_ID/applications" -H "$BEARER" \
  -H 'Content-Type: application/json' --data "{
  \"enabled\": true, \"name\": \"Login_MFA_App_$SUFFIX\", \"description\": \"Login and MFA sign-on\",
  \"type\": \"WEB_APP\", \"protocol\": \"OPENID_CONNECT\", \"responseTypes\": [\"CODE\"],
  \"grantTypes\": [\"AUTHORIZATION_CODE\"], \"tokenEndpointAuthMethod\": \"CLIENT_SECRET_BASIC\",
  \"pkceEnforcement\": \"S256_REQUIRED\", \"redirectUris\": [\"$REDIRECT_URI\"],
  \"postLogoutRedirectUris\": [\"$REDIRECT_URI\"] }"
APP_ID="$(json "$TMP/body" 'd["id"]')"

call "2. Read the resources" 200 "$API/environments/$ENV_ID/resources" -H "$BEARER"
RESOURCE_ID="$(json "$TMP/body" 'next(r["id"] for r in d["_embedded"]["resources"] if r["name"] == "openid")')"

call "3. Read the openid resource's scopes" 200 "$API/environments/$ENV_ID/resources/$RESOURCE_ID/scopes" -H "$BEARER"
PROFILE_ID="$(json "$TMP/body" 'next(s["id"] for s in d["_embedded"]["scopes"] if s["name"] == "profile")')"
EMAIL_SCOPE_ID="$(json "$TMP/body" 'next(s["id"] for s in d["_embedded"]["scopes"] if s["name"] == "email")')"

call "4. Grant profile and email to the application" 201 -X POST "$API/environments/$ENV_ID/applications/$APP_ID/grants" \
  -H "$BEARER" -H 'Content-Type: application/json' \
  --data "{ \"resource\": { \"id\": \"$RESOURCE_ID\" }, \"scopes\": [ { \"id\": \"$PROFILE_ID\" }, { \"id\": \"$EMAIL_SCOPE_ID\" } ] }"

call "5. Create a sign-on policy" 201 -X POST "$API/environments/$ENV_ID/signOnPolicies" -H "$BEARER" \
  -H 'Content-Type: application/json' --data "{ \"name\": \"Login_MFA_Policy_$SUFFIX\", \"description\": \"Login then MFA\" }"
POLICY_ID="$(json "$TMP/body" 'd["id"]')"

call "6. Create the LOGIN action" 201 -X POST "$API/environments/$ENV_ID/signOnPolicies/$POLICY_ID/actions" \
  -H "$BEARER" -H 'Content-Type: application/json' --data '{ "priority": 1, "type": "LOGIN" }'

call "7. Create the MULTI_FACTOR_AUTHENTICATION action" 201 -X POST "$API/environments/$ENV_ID/signOnPolicies/$POLICY_ID/actions" \
  -H "$BEARER" -H 'Content-Type: application/json' \
  --data '{ "priority": 10, "type": "MULTI_FACTOR_AUTHENTICATION", "sms": { "enabled": true }, "email": { "enabled": true } }'

call "8. Assign the sign-on policy to the application" 201 -X POST "$API/environments/$ENV_ID/applications/$APP_ID/signOnPolicyAssignments" \
  -H "$BEARER" -H 'Content-Type: application/json' --data "{ \"priority\": 1, \"signOnPolicy\": { \"id\": \"$POLICY_ID\" } }"

call "9. Create a population" 201 -X POST "$API/environments/$ENV_ID/populations" -H "$BEARER" \
  -H 'Content-Type: application/json' --data "{ \"name\": \"Login_MFA_Population_$SUFFIX\", \"description\": \"Workflow users\" }"
POPULATION_ID="$(json "$TMP/body" 'd["id"]')"

USER_BODY="{ \"username\": \"$USERNAME\", \"email\": \"$EMAIL\", \"population\": { \"id\": \"$POPULATION_ID\" }, \"name\": { \"given\": \"Jamie\", \"family\": \"Doe\" } }"
call "10. Create a user" 201 -X POST "$API/environments/$ENV_ID/users" -H "$BEARER" \
  -H 'Content-Type: application/json' --data "$USER_BODY"
USER_ID="$(json "$TMP/body" 'd["id"]')"

call "error: create the same username again" 400 -X POST "$API/environments/$ENV_ID/users" -H "$BEARER" \
  -H 'Content-Type: application/json' --data "$USER_BODY"
[ "$(json "$TMP/body" 'd["details"][0]["code"]')" = UNIQUENESS_VIOLATION ] || { echo "FAILED: expected UNIQUENESS_VIOLATION" >&2; exit 1; }

call "11. Set the user's password" 200 -X PUT "$API/environments/$ENV_ID/users/$USER_ID/password" -H "$BEARER" \
  -H 'Content-Type: application/vnd.pingidentity.password.set+json' --data "{ \"value\": \"$PASSWORD\", \"forceChange\": false }"

call "12. Enable MFA for the user" 200 -X PUT "$API/environments/$ENV_ID/users/$USER_ID/mfaEnabled" -H "$BEARER" \
  -H 'Content-Type: application/json' --data '{ "mfaEnabled": true }'

call "13. Create an EMAIL MFA device" 201 -X POST "$API/environments/$ENV_ID/users/$USER_ID/devices" -H "$BEARER" \
  -H 'Content-Type: application/json' --data "{ \"type\": \"EMAIL\", \"email\": \"$EMAIL\" }"

# ---- 14-18 sign on ----
CODE_VERIFIER="$(openssl rand 32 | b64url)"
CODE_CHALLENGE="$(printf '%s' "$CODE_VERIFIER" | openssl dgst -sha256 -binary | b64url)"
STATE="$(openssl rand -hex 16)"
NONCE="$(openssl rand -hex 16)"

call "14. Send the authorization request (pi.flow)" 200 -G "$AUTH/as/authorize" \
  --data-urlencode response_type=code --data-urlencode "client_id=$APP_ID" --data-urlencode "redirect_uri=$REDIRECT_URI" \
  --data-urlencode 'scope=openid profile email' --data-urlencode "state=$STATE" --data-urlencode "nonce=$NONCE" \
  --data-urlencode "code_challenge=$CODE_CHALLENGE" --data-urlencode code_challenge_method=S256 \
  --data-urlencode response_mode=pi.flow -H 'Accept: */*'
FLOW_ID="$(json "$TMP/body" 'd["id"]')"

call "15. Read the flow" 200 "$AUTH/flows/$FLOW_ID" -H 'Accept: */*'

call "error: submit a wrong password" 400 -X POST "$AUTH/flows/$FLOW_ID" \
  -H 'Content-Type: application/vnd.pingidentity.usernamePassword.check+json' \
  --data "{ \"username\": \"$USERNAME\", \"password\": \"Wrong-Horse-9!\" }"

call "16. Submit username and password" 200 -X POST "$AUTH/flows/$FLOW_ID" \
  -H 'Content-Type: application/vnd.pingidentity.usernamePassword.check+json' \
  --data "{ \"username\": \"$USERNAME\", \"password\": \"$PASSWORD\" }"
[ "$(json "$TMP/body" 'd["status"]')" = OTP_REQUIRED ] || { echo "FAILED: expected OTP_REQUIRED" >&2; exit 1; }

call "sandbox: read the OTP from the outbox (not a PingOne call)" 200 "$BASE/_sandbox/outbox"
OTP="$(json "$TMP/body" 'd[-1]["otp"]')"
WRONG_OTP="$(python3 -c 'import sys; print("%06d" % ((int(sys.argv[1]) + 1) % 1000000))' "$OTP")"

call "error: submit a wrong OTP" 400 -X POST "$AUTH/flows/$FLOW_ID" \
  -H 'Content-Type: application/vnd.pingidentity.otp.check+json' --data "{ \"otp\": \"$WRONG_OTP\" }"

call "17. Check the OTP" 200 -X POST "$AUTH/flows/$FLOW_ID" \
  -H 'Content-Type: application/vnd.pingidentity.otp.check+json' --data "{ \"otp\": \"$OTP\" }"
[ "$(json "$TMP/body" 'd["status"]')" = COMPLETED ] || { echo "FAILED: expected COMPLETED" >&2; exit 1; }

# pi.flow resume answers 302 with the code in Location (PingOne's developer docs); curl does not
# follow it.
call "18. Resume the flow (get the authorization code)" 302 "$AUTH/as/resume?flowId=$FLOW_ID" -H 'Accept: */*'
LOCATION="$(grep -i '^location:' "$TMP/headers" | tr -d '\r' | cut -d' ' -f2-)"
location_param() { python3 -c 'import sys, urllib.parse as u; print(dict(u.parse_qsl(u.urlsplit(sys.argv[1]).query)).get(sys.argv[2], ""))' "$LOCATION" "$1"; }
CODE="$(location_param code)"
[ -n "$CODE" ] || { echo "FAILED: no code in Location" >&2; exit 1; }
[ "$(location_param state)" = "$STATE" ] || { echo "FAILED: state mismatch" >&2; exit 1; }

# ---- 19-20 tokens ----
call "19. Read the application secret" 200 "$API/environments/$ENV_ID/applications/$APP_ID/secret" -H "$BEARER"
APP_SECRET="$(json "$TMP/body" 'd["secret"]')"

APP_BASIC="Authorization: Basic $(printf '%s:%s' "$APP_ID" "$APP_SECRET" | base64 | tr -d '\n')"
call "20. Exchange the code for tokens" 200 -X POST "$AUTH/as/token" -H "$APP_BASIC" \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code_verifier=$CODE_VERIFIER"
ID_TOKEN="$(json "$TMP/body" 'd["id_token"]')"
echo "  id_token claims: $(printf '%s' "$ID_TOKEN" | cut -d. -f2 | python3 -c 'import base64,sys; s=sys.stdin.read().strip(); print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode())')"
[ "$(printf '%s' "$ID_TOKEN" | cut -d. -f2 | python3 -c 'import base64,json,sys; s=sys.stdin.read().strip(); print(json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))["nonce"])')" = "$NONCE" ] \
  || { echo "FAILED: nonce mismatch" >&2; exit 1; }

call "error: exchange the same code again" 400 -X POST "$AUTH/as/token" -H "$APP_BASIC" \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" --data-urlencode "code_verifier=$CODE_VERIFIER"

echo
echo "workflow OK: $STEP calls, every status as PingOne answers"
