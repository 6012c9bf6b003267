using System.Security.Cryptography;

namespace Ravioli.Store.Blobs;

public sealed class BlobTooLargeException(long limit) : Exception($"The upload is larger than the limit of {limit} bytes.")
{
    public long Limit { get; } = limit;
}

/// <summary>
/// Content-addressed files under DATA/blobs: the key is the SHA-256 of the content. Writes go to a
/// temporary file first and are renamed into place, so a crash never leaves a half-written blob
/// under a real key, and the same content is stored once.
/// </summary>
public sealed class BlobStore
{
    private readonly string _root;
    private readonly string _incoming;

    public BlobStore(string dataDirectory)
    {
        _root = Path.Combine(dataDirectory, "blobs");
        _incoming = Path.Combine(_root, "incoming");
        Directory.CreateDirectory(_incoming);
    }

    /// <summary>A temporary file in the store's volume (so the final rename is atomic); the caller deletes or commits it.</summary>
    public string NewIncomingPath() => Path.Combine(_incoming, Guid.NewGuid().ToString("N"));

    /// <summary>Streams into a temporary file, counting and hashing, refusing past <paramref name="limit"/>.</summary>
    public async Task<(string Path, string Sha256, long Size)> ReceiveAsync(Stream content, long limit, CancellationToken ct)
    {
        var path = NewIncomingPath();
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, ct)) > 0)
                {
                    size += read;
                    if (size > limit)
                    {
                        throw new BlobTooLargeException(limit);
                    }
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
                await file.FlushAsync(ct);
                file.Flush(flushToDisk: true);
            }
            return (path, Convert.ToHexStringLower(hash.GetHashAndReset()), size);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Moves a received file under its key; if the content is already stored the duplicate is dropped.</summary>
    public string Commit(string incomingPath, string sha256)
    {
        var target = PathOf(sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target))
        {
            File.Delete(incomingPath);
        }
        else
        {
            File.Move(incomingPath, target, overwrite: true);
        }
        return sha256;
    }

    /// <summary>Hashes and stores an existing file (e.g. a droplet the stager wrote).</summary>
    public async Task<(string Sha256, long Size)> PutFileAsync(string file, CancellationToken ct)
    {
        await using var stream = File.OpenRead(file);
        var (path, sha, size) = await ReceiveAsync(stream, long.MaxValue, ct);
        Commit(path, sha);
        return (sha, size);
    }

    public string PathOf(string key)
    {
        if (key.Length != 64 || !key.All(Uri.IsHexDigit))
        {
            throw new ArgumentException("A blob key is a lower-case SHA-256 in hex.", nameof(key));
        }
        return Path.Combine(_root, key[..2], key);
    }

    public bool Exists(string key) => File.Exists(PathOf(key));

    public Stream OpenRead(string key) => new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);

    public void Delete(string key) => File.Delete(PathOf(key));

    /// <summary>Every stored key (for the startup sweep that removes blobs no row names).</summary>
    public IEnumerable<string> Keys() =>
        Directory.EnumerateDirectories(_root)
            .Where(d => Path.GetFileName(d) is { Length: 2 } prefix && prefix.All(Uri.IsHexDigit))
            .SelectMany(Directory.EnumerateFiles)
            .Select(Path.GetFileName)
            .Where(name => name is { Length: 64 } && name.All(Uri.IsHexDigit))
            .Select(name => name!);

    /// <summary>Temporary files of uploads and stagings that were under way (none are, when the process has just started).</summary>
    public IEnumerable<string> IncomingFiles() => Directory.EnumerateFiles(_incoming);
}
