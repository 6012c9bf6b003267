-- GET BENCH_PATH with "%s" replaced by the values in the file BENCH_VALUES (one a line), in turn, each thread from
-- its own offset: many pages (or spaces) instead of one cached answer.
local template, values, threads = os.getenv("BENCH_PATH"), {}, 0
for line in io.lines(os.getenv("BENCH_VALUES")) do
  values[#values + 1] = line
end

function setup(thread)
  threads = threads + 1
  thread:set("position", threads * 7919)
end

function request()
  position = position + 1
  return wrk.format(nil, template:format(values[position % #values + 1]))
end
