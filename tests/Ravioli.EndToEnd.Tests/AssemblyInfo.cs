// One platform per fixture, real processes and sandboxes: tests share the machine's two cores, so they run one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
