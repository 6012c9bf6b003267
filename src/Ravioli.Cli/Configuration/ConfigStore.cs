using System.Text.Json;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Configuration;

/// <summary>Reads and writes <c>config.json</c>; the file holds tokens, so only its owner may read it.</summary>
internal sealed class ConfigStore(string home)
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string FilePath { get; } = Path.Combine(home, "config.json");

    public async Task<CliConfig> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(FilePath))
        {
            return new CliConfig();
        }

        try
        {
            await using var stream = File.OpenRead(FilePath);
            return await JsonSerializer.DeserializeAsync<CliConfig>(stream, Json.Options, cancellationToken) ?? new CliConfig();
        }
        catch (JsonException e)
        {
            throw new CliException($"The config file {FilePath} is not valid JSON ({e.Message}). Delete it and run 'rav login' again.", e);
        }
    }

    public async Task SaveAsync(CliConfig config, CancellationToken cancellationToken)
    {
        EnsureHome();

        // Write a sibling file and rename it over the old one, so a crash or a full disk never
        // leaves half a config (and with it a lost single-use refresh token) behind.
        var temp = $"{FilePath}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        try
        {
            await using (var stream = new FileStream(temp, options))
            {
                await JsonSerializer.SerializeAsync(stream, config, Json.IndentedOptions, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }

            if (!OperatingSystem.IsWindows())
            {
                // The umask can only remove bits, but be explicit: tokens must never be group-readable.
                File.SetUnixFileMode(temp, OwnerOnlyFile);
            }

            File.Move(temp, FilePath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private void EnsureHome()
    {
        var directory = Path.GetDirectoryName(FilePath)!;
        if (Directory.Exists(directory))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }
    }
}
