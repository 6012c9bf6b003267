using Ravioli.Staging.Files;

namespace Ravioli.Staging.Tests.Support;

/// <summary>The repository's samples/ apps.</summary>
internal static class Samples
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ravioli.slnx")) && Directory.Exists(Path.Combine(directory.FullName, "samples")))
            {
                return Path.Combine(directory.FullName, "samples");
            }
        }
        throw new InvalidOperationException($"No samples/ directory above {AppContext.BaseDirectory}.");
    });

    public static string PathOf(string name) => System.IO.Path.Combine(s_root.Value, name);

    /// <summary>A copy of a sample to change in a test without touching the repository.</summary>
    public static async Task<string> CopyAsync(string name, string destination)
    {
        await FileTree.CopyAsync(PathOf(name), destination, CancellationToken.None);
        return destination;
    }
}
