// The node runs apps with bwrap and cgroups: Linux only, like the executor it composes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
