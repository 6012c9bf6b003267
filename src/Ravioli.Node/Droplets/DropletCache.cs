using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Ravioli.Core.Security;

namespace Ravioli.Node.Droplets;

/// <summary>Droplets on the node's disk, by checksum: downloaded once from the control plane and verified before use.</summary>
public sealed class DropletCache : IDisposable
{
    private readonly HttpClient _http;
    private readonly NodeToken _token;
    private readonly NodeOptions _options;
    private readonly string _directory;
    private readonly SemaphoreSlim _downloads = new(2);

    public DropletCache(HttpClient http, NodeToken token, IOptions<NodeOptions> options)
    {
        _http = http;
        _token = token;
        _options = options.Value;
        _directory = Path.Combine(_options.StateDirectory, "droplets");
        Directory.CreateDirectory(_directory);
    }

    public void Dispose() => _downloads.Dispose();

    public string PathOf(string sha256) => Path.Combine(_directory, sha256 + ".tgz");

    public bool Has(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>The local path of the droplet, downloading it first if needed; throws if it cannot be had or does not match.</summary>
    public async Task<string> GetAsync(string sha256, CancellationToken ct)
    {
        if (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit))
        {
            throw new InvalidDataException($"'{sha256}' is not a droplet checksum.");
        }
        var target = PathOf(sha256);
        if (File.Exists(target))
        {
            return target;
        }
        await _downloads.WaitAsync(ct);
        try
        {
            if (File.Exists(target))
            {
                return target;
            }
            var temp = target + "." + Guid.NewGuid().ToString("N") + ".part";
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{_options.ControlPlaneUrl.TrimEnd('/')}/internal/v1/droplets/{sha256}");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token.Value);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                response.EnsureSuccessStatusCode();
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                await using (var body = await response.Content.ReadAsStreamAsync(ct))
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    var buffer = new byte[81920];
                    int read;
                    while ((read = await body.ReadAsync(buffer, ct)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        await file.WriteAsync(buffer.AsMemory(0, read), ct);
                    }
                    file.Flush(flushToDisk: true);
                }
                var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (actual != sha256)
                {
                    throw new InvalidDataException($"Droplet {sha256} arrived with checksum {actual}; refusing to run it.");
                }
                File.Move(temp, target, overwrite: true);
                return target;
            }
            finally
            {
                File.Delete(temp);
            }
        }
        finally
        {
            _downloads.Release();
        }
    }

    /// <summary>Deletes droplets no desired process uses any more.</summary>
    public void Prune(IReadOnlySet<string> inUse)
    {
        foreach (var file in Directory.EnumerateFiles(_directory, "*.tgz"))
        {
            if (!inUse.Contains(Path.GetFileNameWithoutExtension(file)))
            {
                File.Delete(file);
            }
        }
    }
}
