using System.Text;
using Ravioli.Staging.Files;

namespace Ravioli.Staging.Tests.Support;

/// <summary>A directory under /tmp that is deleted (with everything in it) when the test ends.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string purpose = "test")
    {
        Path = Directory.CreateTempSubdirectory($"ravioli-staging-{purpose}-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Writes a file (LF line endings, parent directories created) and returns its full path.</summary>
    public string Write(string relativePath, string content, bool executable = false)
    {
        var path = Combine(relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content.ReplaceLineEndings("\n"), new UTF8Encoding(false));
        if (executable)
        {
            UnixFiles.MakeExecutable(path);
        }
        return path;
    }

    public void Dispose() => FileTree.Delete(Path);
}
