-- transact: run the given commands atomically, in order: the worker's group commits (attempt logs,
-- acknowledgements, failed list, counters). On a cluster one call per partition, every key in the
-- slot of the declared key; on one server one call for all.
-- KEYS: 1 a key of the partition (it routes the call). ARGV: 1 JSON list of commands, each a list of strings.
-- Returns the number of commands run.
local commands = cjson.decode(ARGV[1])
for _, command in ipairs(commands) do redis.call(unpack(command)) end
return #commands
