-- POST /oauth/token. BENCH_GRANT=password: the same form body (BENCH_FORM) every time. BENCH_GRANT=refresh_token:
-- refresh tokens are single-use, so each thread starts from its own token (BENCH_REFRESH_TOKENS, comma-separated,
-- one per thread) and sends the one each answer returns; run it with one connection per thread (-t N -c N), so a
-- thread's next request always follows its previous answer.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local grant, tokens, threads = os.getenv("BENCH_GRANT"), {}, 0
for token in string.gmatch(os.getenv("BENCH_REFRESH_TOKENS") or "", "[^,]+") do
  tokens[#tokens + 1] = token
end

function setup(thread)
  threads = threads + 1
  thread:set("refresh_token", tokens[threads])
end

function request()
  if grant == "refresh_token" then
    return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. refresh_token)
  end
  return wrk.format(nil, nil, nil, os.getenv("BENCH_FORM"))
end

function response(status, headers, body)
  local next_token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if next_token then
    refresh_token = next_token
  end
end
