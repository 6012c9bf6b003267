[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// Each fixture runs real sandboxed instances; two at once on 2 cores only makes both slower.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
