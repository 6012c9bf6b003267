using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ravioli.Brokers.Redis;

/// <summary>A reply from Redis: a simple/bulk string, an integer, an error, null, or an array.</summary>
internal sealed record RespReply(string? Text, long? Integer = null, string? Error = null, IReadOnlyList<RespReply>? Items = null)
{
    public bool IsError => Error is not null;
}

/// <summary>A minimal RESP2 client for the broker's admin commands (no client library is available offline).</summary>
internal sealed class RespClient : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private RespClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new StreamReader(_stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
    }

    public static async Task<RespClient> ConnectAsync(int port, CancellationToken ct)
    {
        var client = new TcpClient();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return new RespClient(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Connects and authenticates as a user (AUTH user password); throws when Redis refuses.</summary>
    public static async Task<RespClient> ConnectAsync(int port, string user, string password, CancellationToken ct)
    {
        var client = await ConnectAsync(port, ct);
        var reply = await client.CommandAsync(ct, "AUTH", user, password);
        if (reply.IsError)
        {
            await client.DisposeAsync();
            throw new InvalidOperationException($"Redis on port {port} refused authentication: {reply.Error}");
        }
        return client;
    }

    public async Task<RespReply> CommandAsync(CancellationToken ct, params string[] args)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var arg in args)
        {
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(arg).ToString(CultureInfo.InvariantCulture)).Append("\r\n").Append(arg).Append("\r\n");
        }
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await _stream.WriteAsync(bytes, timeout.Token);
        return await ReadAsync(timeout.Token);
    }

    /// <summary>Runs a command and throws if Redis answers with an error.</summary>
    public async Task<RespReply> CheckedAsync(CancellationToken ct, params string[] args)
    {
        var reply = await CommandAsync(ct, args);
        return reply.IsError ? throw new InvalidOperationException($"Redis {args[0]} {(args.Length > 1 ? args[1] : "")} failed: {reply.Error}") : reply;
    }

    private async Task<RespReply> ReadAsync(CancellationToken ct)
    {
        var line = await _reader.ReadLineAsync(ct) ?? throw new IOException("Redis closed the connection");
        if (line.Length == 0)
        {
            throw new IOException("empty RESP line");
        }
        var body = line[1..];
        switch (line[0])
        {
            case '+':
                return new RespReply(body);
            case '-':
                return new RespReply(null, Error: body);
            case ':':
                return new RespReply(body, Integer: long.Parse(body, CultureInfo.InvariantCulture));
            case '$':
                var length = int.Parse(body, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return new RespReply(null);
                }
                var buffer = new char[length];
                var read = 0;
                while (read < length)
                {
                    var n = await _reader.ReadAsync(buffer.AsMemory(read, length - read), ct);
                    if (n == 0)
                    {
                        throw new IOException("Redis closed the connection");
                    }
                    read += n;
                }
                await _reader.ReadLineAsync(ct);
                return new RespReply(new string(buffer));
            case '*':
                var count = int.Parse(body, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return new RespReply(null);
                }
                var items = new List<RespReply>(count);
                for (var i = 0; i < count; i++)
                {
                    items.Add(await ReadAsync(ct));
                }
                return new RespReply(null, Items: items);
            default:
                throw new IOException($"unexpected RESP reply '{line[0]}'");
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _stream.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
