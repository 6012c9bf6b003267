using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ravioli.Router.Tests.Infrastructure;

/// <summary>
/// A bare TCP server answering every request with the same raw bytes (the response string as Latin-1), then closing: for what Kestrel as a
/// backend cannot send, such as HTTP/1.1 chunked trailers.
/// </summary>
public sealed class RawBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public RawBackend(string response)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        var bytes = Encoding.Latin1.GetBytes(response);
        _accepting = AcceptAsync(bytes);
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    private async Task AcceptAsync(byte[] response)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = AnswerAsync(client, response);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AnswerAsync(TcpClient client, byte[] response)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }
                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
                await stream.WriteAsync(response, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
