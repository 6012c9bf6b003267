// Every test runs real sandboxes with real limits on a 2-core host: run them one at a time so timing-sensitive
// checks (health, backoff) are not starved by a fork bomb or an OOM test running next to them.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
