using System.Text.Json;
using System.Text.Json.Serialization;
using Ravioli.Runtime.Local.Processes;

namespace Ravioli.Runtime.Local.Persistence;

/// <summary>
/// Reads and writes state.json. Every write goes to a temp file that is fsynced, renamed over the old file, and the
/// directory fsynced: a crash at any instant leaves either the old or the new document, never a torn one.
/// </summary>
internal sealed class StateStore(string directory) : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public string FilePath { get; } = Path.Combine(directory, "state.json");

    public ExecutorStateDocument? Load()
    {
        if (!File.Exists(FilePath))
        {
            return null;
        }

        try
        {
            var document = JsonSerializer.Deserialize<ExecutorStateDocument>(File.ReadAllBytes(FilePath), Json)
                ?? throw new InvalidDataException("state.json is empty");
            if (document.Version != ExecutorStateDocument.CurrentVersion)
            {
                throw new InvalidDataException($"state.json has version {document.Version}; this executor reads version {ExecutorStateDocument.CurrentVersion}");
            }

            return document;
        }
        catch (JsonException e)
        {
            // Starting empty would launch duplicates of instances that still run: refuse, and say where to look.
            throw new InvalidDataException($"{FilePath} is not valid executor state: {e.Message}", e);
        }
    }

    /// <summary>Writes the document <paramref name="capture"/> returns; capturing inside the lock makes the last write the newest state.</summary>
    public async Task SaveAsync(Func<ExecutorStateDocument> capture, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(capture(), Json);
            var temp = FilePath + ".tmp";
            File.Delete(temp);
            await using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                // The desired set carries the apps' environment (service credentials): root only.
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                await stream.WriteAsync(bytes, CancellationToken.None);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
            Native.FsyncDirectory(directory);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void Dispose() => _writeLock.Dispose();
}
