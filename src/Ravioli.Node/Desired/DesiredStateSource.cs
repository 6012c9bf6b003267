using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ravioli.Core.Apps;
using Ravioli.Core.Security;

namespace Ravioli.Node.Desired;

/// <summary>
/// The node's copy of what should run. Read from the control plane every poll interval and written to
/// disk before it is used, so a node that restarts while the control plane is down still knows what to
/// run — and an unreachable control plane never empties the set.
/// </summary>
public sealed partial class DesiredStateSource
{
    internal static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly HttpClient _http;
    private readonly NodeToken _token;
    private readonly NodeOptions _options;
    private readonly ILogger<DesiredStateSource> _logger;
    private readonly string _file;
    private DesiredState _current;
    private bool _reachable = true;

    public DesiredStateSource(HttpClient http, NodeToken token, IOptions<NodeOptions> options, ILogger<DesiredStateSource> logger)
    {
        _http = http;
        _token = token;
        _options = options.Value;
        _logger = logger;
        Directory.CreateDirectory(_options.StateDirectory);
        _file = Path.Combine(_options.StateDirectory, "desired.json");
        _current = Load(_file);
    }

    public DesiredState Current => Volatile.Read(ref _current);

    /// <summary>Signalled whenever a new desired set arrives.</summary>
    public event Action? Changed;

    /// <summary>Reads the desired set once; true if it changed.</summary>
    public Task<bool> RefreshAsync(CancellationToken ct) => RefreshAsync(TimeSpan.Zero, ct);

    /// <summary>
    /// Reads the desired set; with a <paramref name="wait"/>, the control plane holds the request until the set changes
    /// or the time is up (a watch). True if it changed.
    /// </summary>
    public async Task<bool> RefreshAsync(TimeSpan wait, CancellationToken ct)
    {
        try
        {
            var query = wait > TimeSpan.Zero ? $"?wait={(int)wait.TotalSeconds}" : "";
            using var request = new HttpRequestMessage(HttpMethod.Get, _options.ControlPlaneUrl.TrimEnd('/') + "/internal/v1/desired" + query);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token.Value);
            if (Current.Etag.Length > 0)
            {
                request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{Current.Etag}\""));
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(wait + TimeSpan.FromSeconds(10));
            using var response = await _http.SendAsync(request, timeout.Token);
            if (!_reachable)
            {
                _reachable = true;
                LogReachableAgain(_logger, _options.ControlPlaneUrl);
            }
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return false;
            }
            response.EnsureSuccessStatusCode();
            var state = await response.Content.ReadFromJsonAsync<DesiredState>(Json, timeout.Token)
                ?? throw new InvalidDataException("The control plane sent an empty desired state.");
            await SaveAsync(state, ct);
            Volatile.Write(ref _current, state);
            Changed?.Invoke();
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or InvalidDataException or JsonException && !ct.IsCancellationRequested)
        {
            if (_reachable)
            {
                _reachable = false;
                LogUnreachable(_logger, _options.ControlPlaneUrl, e.Message);
            }
            return false;
        }
    }

    private async Task SaveAsync(DesiredState state, CancellationToken ct)
    {
        var temp = _file + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await JsonSerializer.SerializeAsync(stream, state, Json, ct);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, _file, overwrite: true);
    }

    private static DesiredState Load(string file)
    {
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize<DesiredState>(File.ReadAllText(file), Json) ?? DesiredState.Empty : DesiredState.Empty;
        }
        catch (JsonException)
        {
            // Written atomically, so this is damage from outside; the control plane will send it again.
            return DesiredState.Empty;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Control plane at {Url} is unreachable ({Reason}); keeping the last desired state and the apps running")]
    private static partial void LogUnreachable(ILogger logger, string url, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Control plane at {Url} is reachable again")]
    private static partial void LogReachableAgain(ILogger logger, string url);
}
