using System.Net;
using System.Net.Sockets;

using Ravioli.Core.Apps;

namespace Ravioli.Runtime.Local.Health;

/// <summary>The outcome of one health check, with a detail a user can act on when it failed.</summary>
internal readonly record struct HealthResult(bool Healthy, string Detail);

/// <summary>Runs port, http and process health checks against 127.0.0.1:PORT.</summary>
internal sealed class HealthChecker : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        // A restarted instance may get the same port: never reuse a connection to its predecessor.
        PooledConnectionLifetime = TimeSpan.Zero,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<HealthResult> CheckAsync(HealthCheckSpec spec, int port, bool processAlive, CancellationToken cancellationToken)
    {
        if (!processAlive)
        {
            return new HealthResult(false, "the process is not running");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(spec.InvocationTimeout);
        try
        {
            switch (spec.Type)
            {
                case HealthCheckTypes.Port:
                    using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                    {
                        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
                    }

                    return new HealthResult(true, "port open");
                case HealthCheckTypes.Http:
                    var path = string.IsNullOrEmpty(spec.Endpoint) ? "/" : spec.Endpoint;
                    using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{port}{path}")))
                    {
                        request.Headers.ConnectionClose = true;
                        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                        return response.StatusCode == HttpStatusCode.OK
                            ? new HealthResult(true, "200 OK")
                            : new HealthResult(false, $"GET {path} answered {(int)response.StatusCode}, not 200");
                    }

                default:
                    return new HealthResult(true, "process alive");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthResult(false, spec.Type == HealthCheckTypes.Http
                ? $"GET {spec.Endpoint ?? "/"} on port {port} gave no answer within {spec.InvocationTimeout.TotalSeconds:0.###} s"
                : $"port {port} did not accept a connection within {spec.InvocationTimeout.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is SocketException or HttpRequestException or IOException)
        {
            return new HealthResult(false, spec.Type == HealthCheckTypes.Http
                ? $"GET {spec.Endpoint ?? "/"} on port {port} failed: {e.Message}"
                : $"port {port} refused the connection: {e.Message}");
        }
    }

    public void Dispose() => _http.Dispose();
}
