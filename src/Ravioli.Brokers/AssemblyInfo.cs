using System.Runtime.CompilerServices;
using System.Runtime.Versioning;

[assembly: InternalsVisibleTo("Ravioli.Brokers.Tests")]

// The brokers drive Linux server processes (setsid, setpriv, pg_ctl) and rely on Unix file modes.
[assembly: SupportedOSPlatform("linux")]
