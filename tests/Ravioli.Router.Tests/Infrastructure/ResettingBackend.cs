using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ravioli.Router.Tests.Infrastructure;

/// <summary>
/// A bare TCP backend that reads each request whole (head and Content-Length body) and then answers the first
/// <c>answered</c> of them with a keep-alive 200 and resets the connection (RST, no response byte) on every later
/// one: an app instance killed while requests were on their way to it. <see cref="Kill"/> also stops accepting, so
/// new connections are refused as they are to a dead process.
/// </summary>
public sealed class ResettingBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly int _answered;
    private readonly List<string> _bodies = [];
    private int _requests;
    private int _connections;

    public ResettingBackend(int answered = 0)
    {
        _answered = answered;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Address = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = AcceptAsync();
    }

    public string Address { get; }

    /// <summary>Requests read whole, answered or reset.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The bodies of the requests read, in order.</summary>
    public IReadOnlyList<string> Bodies
    {
        get
        {
            lock (_bodies)
            {
                return [.. _bodies];
            }
        }
    }

    /// <summary>Stops accepting connections; those open stay, and reset on their next request.</summary>
    public void Kill() => _listener.Stop();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _ = ServeAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var pending = new List<byte>();
            var buffer = new byte[4096];
            while (true)
            {
                var body = await ReadRequestAsync(stream, pending, buffer);
                if (body is null)
                {
                    client.Dispose();
                    return;
                }
                lock (_bodies)
                {
                    _bodies.Add(body);
                }
                if (Interlocked.Increment(ref _requests) > _answered)
                {
                    client.Client.LingerState = new LingerOption(true, 0);
                    client.Dispose();
                    return;
                }
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nreset"u8.ToArray(), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            client.Dispose();
        }
    }

    /// <summary>The next request's body (empty without one), or null when the peer closed the connection.</summary>
    private async Task<string?> ReadRequestAsync(NetworkStream stream, List<byte> pending, byte[] buffer)
    {
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(pending)) < 0)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return null;
            }
            pending.AddRange(buffer.AsSpan(0, read));
        }
        var head = Encoding.Latin1.GetString([.. pending.GetRange(0, headEnd)]);
        var length = 0;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        var total = headEnd + 4 + length;
        while (pending.Count < total)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return null;
            }
            pending.AddRange(buffer.AsSpan(0, read));
        }
        var body = Encoding.Latin1.GetString([.. pending.GetRange(headEnd + 4, length)]);
        pending.RemoveRange(0, total);
        return body;
    }

    private static int IndexOfHeadEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
