namespace Ravioli.Cli.Tests.Support;

/// <summary>Names no other test uses, since test classes share one server per class and run in parallel.</summary>
internal static class Names
{
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";
}
