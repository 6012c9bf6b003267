using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ravioli.Staging.Droplets;

/// <summary>The droplet's <c>staging_info.json</c>, in Cloud Foundry's shape.</summary>
public sealed record StagingInfo(
    [property: JsonPropertyName("detected_buildpack")] string DetectedBuildpack,
    [property: JsonPropertyName("start_command")] string StartCommand,
    [property: JsonPropertyName("process_types")] IReadOnlyDictionary<string, string> ProcessTypes)
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static async Task<StagingInfo> ReadAsync(string dropletDirectory, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(dropletDirectory, DropletLayout.StagingInfoFileName);
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<StagingInfo>(stream, s_json, cancellationToken)
            ?? throw new InvalidDataException($"{path} is empty.");
    }

    public async Task WriteAsync(string dropletDirectory, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(dropletDirectory, DropletLayout.StagingInfoFileName);
        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, this, s_json, cancellationToken);
    }
}
