using System.Net;
using System.Net.Sockets;
using System.Text;
using Ravioli.Services.Osb;

namespace Ravioli.Services.Tests.Infrastructure;

/// <summary>
/// A bare TCP server that reads one request and writes raw bytes back, then closes gracefully (FIN, not RST, so the client
/// reads everything sent): for answers Kestrel will not produce, such as a body shorter than its Content-Length.
/// </summary>
public sealed class RawBroker : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public RawBroker(string response)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync(Encoding.Latin1.GetBytes(response));
    }

    public BrokerEndpoint Endpoint =>
        new(new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/raw"), ScriptedBroker.Username, ScriptedBroker.Password);

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
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
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
                await ReadRequestAsync(stream);
                await stream.WriteAsync(response, _stop.Token);
                await stream.FlushAsync(_stop.Token);
                client.Client.Shutdown(SocketShutdown.Send);
                // Wait for the client to close its side, so our close never turns into a reset.
                var buffer = new byte[1024];
                while (await stream.ReadAsync(buffer, _stop.Token) > 0)
                {
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
            }
        }
    }

    private async Task ReadRequestAsync(NetworkStream stream)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        var headEnd = -1;
        var contentLength = 0;
        while (true)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return;
            }
            received.AddRange(buffer.AsSpan(0, read));
            if (headEnd < 0)
            {
                var text = Encoding.Latin1.GetString([.. received]);
                headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (headEnd >= 0)
                {
                    var header = text[..headEnd].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                    contentLength = header is null ? 0 : int.Parse(header["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            if (headEnd >= 0 && received.Count >= headEnd + 4 + contentLength)
            {
                return;
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
