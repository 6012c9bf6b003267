using System.Net;
using System.Text.Json;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Apps;

/// <summary>Reads <c>GET /v3/processes/{guid}/stats</c>: what each instance of a process is doing right now.</summary>
internal static class ProcessStats
{
    public const string Running = "RUNNING";
    public const string Starting = "STARTING";
    public const string Crashed = "CRASHED";

    /// <summary>
    /// Not the API's: rav's name for an instance of the generation before a restart, still running (and routed) until
    /// its replacement runs. The stats API lists one entry per index, the newest generation's once the node has it.
    /// </summary>
    public const string Replacing = "REPLACING";

    public static async Task<IReadOnlyList<InstanceStats>> ReadAsync(ApiClient api, string processGuid, CancellationToken cancellationToken)
    {
        var body = await api.GetAsync($"/v3/processes/{processGuid}/stats", cancellationToken);
        if (body.ValueKind != JsonValueKind.Object
            || !body.TryGetProperty("resources", out var resources)
            || resources.ValueKind != JsonValueKind.Array)
        {
            throw new CliException($"The API answered GET /v3/processes/{processGuid}/stats with something that is not a stats list.");
        }

        return [.. resources.EnumerateArray().Select(Json.As<InstanceStats>).OrderBy(s => s.Index)];
    }

    /// <summary>The stats, or why they are unknown: the node may be down, or the API may not serve stats yet.</summary>
    public static async Task<(IReadOnlyList<InstanceStats>? Stats, string? Problem)> TryReadAsync(ApiClient api, string processGuid, CancellationToken cancellationToken)
    {
        try
        {
            return (await ReadAsync(api, processGuid, cancellationToken), null);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.NotImplemented)
        {
            return (null, FirstLine(e.Message));
        }
    }

    public static int CountRunning(IEnumerable<InstanceStats> stats) => stats.Count(s => IsState(s, Running));

    public static bool IsState(InstanceStats stats, string state) => string.Equals(stats.State, state, StringComparison.OrdinalIgnoreCase);

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }
}
