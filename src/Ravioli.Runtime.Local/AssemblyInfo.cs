using System.Runtime.CompilerServices;
using System.Runtime.Versioning;

// Namespaces, cgroups, /proc and bwrap: this runtime exists only on Linux.
[assembly: SupportedOSPlatform("linux")]

// The tests exercise pure pieces (backoff, /proc parsing, cgroup v2 writer against a fake tree) directly.
[assembly: InternalsVisibleTo("Ravioli.Runtime.Local.Tests")]
