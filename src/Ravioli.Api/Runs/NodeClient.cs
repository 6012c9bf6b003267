using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Ravioli.Api.Apis;
using Ravioli.Api.Http;

using Ravioli.Core.Security;
namespace Ravioli.Api.Runs;

/// <summary>An instance as the node agent reports it (its wire shape, snake_case).</summary>
public sealed record NodeInstance(
    string InstanceGuid, string ProcessGuid, string AppGuid, string ProcessType, int Index, int Generation, string State,
    int? Port, DateTimeOffset? StartedAt, double CpuPercent, long MemoryBytes, long DiskBytes, int MemoryMb, int DiskMb,
    int CrashCount, string? LastCrashReason);

/// <summary>One log line as the node and `rav logs` exchange it.</summary>
public sealed record LogLine(DateTimeOffset Timestamp, string SourceType, string Instance, string Stream, string Message);

/// <summary>
/// Talks to the node agent's internal API (token-protected, loopback). The control plane never blocks on
/// it for writes: desired state flows the other way, by the node reading /internal/v1/desired.
/// </summary>
public sealed class NodeClient(HttpClient http, NodeToken token, IOptions<RavioliApiOptions> options)
{
    private Uri Base => new(options.Value.NodeUrl.TrimEnd('/') + "/");

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(Base, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        return request;
    }

    public async Task<IReadOnlyList<NodeInstance>> InstancesAsync(string processGuid, CancellationToken ct)
    {
        try
        {
            // Stats must not hang a user's `rav app` on a stuck node.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var request = Request(HttpMethod.Get, $"v1/instances?process_guid={Uri.EscapeDataString(processGuid)}");
            using var response = await http.SendAsync(request, timeout.Token);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<List<NodeInstance>>(JsonBody.Options, timeout.Token) ?? [];
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw ApiProblem.Unavailable("The node agent that runs apps is not reachable, so instance stats are unknown. Is it running ('./ravioli up' starts it)?");
        }
    }

    /// <summary>Instance events after <paramref name="after"/>; null when the node cannot be reached.</summary>
    public async Task<NodeEventPage?> EventsAsync(long after, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var request = Request(HttpMethod.Get, $"v1/events?after={after}");
            using var response = await http.SendAsync(request, timeout.Token);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<NodeEventPage>(JsonBody.Options, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The node's log lines for an app: recent ones, then (with <paramref name="follow"/>) new ones until cancelled.</summary>
    public async IAsyncEnumerable<LogLine> LogsAsync(string appGuid, bool follow, int lines, [EnumeratorCancellation] CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            var request = Request(HttpMethod.Get, $"v1/logs?app_guid={Uri.EscapeDataString(appGuid)}&follow={(follow ? "true" : "false")}&lines={lines}");
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            yield break;
        }
        using (response)
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length > 0 && JsonSerializer.Deserialize<LogLine>(line, JsonBody.Options) is { } parsed)
                {
                    yield return parsed;
                }
            }
        }
    }
}
