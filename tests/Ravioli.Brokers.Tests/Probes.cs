using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Ravioli.Brokers.Tests;

/// <summary>A bare RESP exchange over TCP, independent of the broker's own client.</summary>
public static class RedisProbe
{
    /// <summary>Sends commands on one connection and returns the first line of each reply.</summary>
    public static async Task<List<string>> ExchangeAsync(int port, params string[][] commands)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var replies = new List<string>();
        foreach (var command in commands)
        {
            var sb = new StringBuilder($"*{command.Length}\r\n");
            foreach (var arg in command)
            {
                sb.Append($"${Encoding.UTF8.GetByteCount(arg)}\r\n{arg}\r\n");
            }
            await stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()));
            var line = await reader.ReadLineAsync() ?? "<closed>";
            if (line.StartsWith('$') && line != "$-1")
            {
                line = await reader.ReadLineAsync() ?? "<closed>";
            }
            else if (line.StartsWith('+') || line.StartsWith(':'))
            {
                line = line[1..];
            }
            replies.Add(line);
        }
        return replies;
    }
}

/// <summary>Runs the mariadb client as an application would connect: TCP, the binding's user and password.</summary>
public static class MariaDbProbe
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string host, int port, string user, string password, string sql)
    {
        var psi = new ProcessStartInfo("mariadb")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--no-defaults", "--protocol=TCP", "-h", host, "-P", port.ToString(), "-u", user, "--batch", "--skip-column-names" })
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["MYSQL_PWD"] = password;
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(sql);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output + error);
    }
}

/// <summary>
/// Just enough AMQP 0-9-1 to prove credentials: handshake with PLAIN auth, open the vhost, open a channel, declare a
/// queue, publish a message to it and get it back.
/// </summary>
public static class AmqpProbe
{
    public static async Task<string> RoundTripAsync(int port, string user, string password, string vhost, string queue, string message)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        stream.ReadTimeout = 10_000;
        await stream.WriteAsync("AMQP\0\0\u0009\u0001"u8.ToArray());
        await ExpectMethodAsync(stream, 10, 10); // Connection.Start

        var startOk = new Frame();
        startOk.Method(10, 11).Table().ShortStr("PLAIN").LongStr($"\0{user}\0{password}").ShortStr("en_US");
        await startOk.SendAsync(stream, 0);
        var tune = await ReadMethodAsync(stream);
        if (tune.Class != 10 || tune.Method != 30)
        {
            throw new IOException($"authentication refused (got {tune.Class}.{tune.Method})");
        }
        // Accept the server's channel and frame limits; no heartbeats.
        var channelMax = BinaryPrimitives.ReadUInt16BigEndian(tune.Payload.AsSpan(4));
        var frameMax = BinaryPrimitives.ReadUInt32BigEndian(tune.Payload.AsSpan(6));
        await new Frame().Method(10, 31).Short(channelMax).Long(frameMax).Short(0).SendAsync(stream, 0);
        await new Frame().Method(10, 40).ShortStr(vhost).ShortStr("").Byte(0).SendAsync(stream, 0);
        await ExpectMethodAsync(stream, 10, 41); // Connection.OpenOk

        await new Frame().Method(20, 10).ShortStr("").SendAsync(stream, 1);
        await ExpectMethodAsync(stream, 20, 11);
        await new Frame().Method(50, 10).Short(0).ShortStr(queue).Byte(0).Table().SendAsync(stream, 1);
        await ExpectMethodAsync(stream, 50, 11);

        var body = Encoding.UTF8.GetBytes(message);
        await new Frame().Method(60, 40).Short(0).ShortStr("").ShortStr(queue).Byte(0).SendAsync(stream, 1);
        await new Frame(2).Short(60).Short(0).LongLong(body.Length).Short(0).SendAsync(stream, 1);
        await new Frame(3).Bytes(body).SendAsync(stream, 1);

        // Basic.Get until the message is there (publishing is asynchronous).
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await new Frame().Method(60, 70).Short(0).ShortStr(queue).Byte(1).SendAsync(stream, 1);
            var reply = await ReadMethodAsync(stream);
            if (reply.Class == 60 && reply.Method == 71)
            {
                await ReadFrameAsync(stream); // content header
                var content = await ReadFrameAsync(stream);
                return Encoding.UTF8.GetString(content.Payload);
            }
            await Task.Delay(100);
        }
        throw new IOException("the published message never arrived");
    }

    private sealed record RawFrame(byte Type, ushort Channel, byte[] Payload);

    private sealed record MethodFrame(ushort Class, ushort Method, byte[] Payload);

    private static async Task ExpectMethodAsync(NetworkStream stream, ushort cls, ushort method)
    {
        var frame = await ReadMethodAsync(stream);
        if (frame.Class != cls || frame.Method != method)
        {
            var text = frame.Class == 10 && frame.Method == 50 || frame.Class == 20 && frame.Method == 40
                ? $" (close {BinaryPrimitives.ReadUInt16BigEndian(frame.Payload.AsSpan(4))}: {Encoding.UTF8.GetString(frame.Payload, 7, frame.Payload[6])})"
                : "";
            throw new IOException($"expected {cls}.{method}, got {frame.Class}.{frame.Method}{text}");
        }
    }

    private static async Task<MethodFrame> ReadMethodAsync(NetworkStream stream)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(stream);
            if (frame.Type == 1)
            {
                return new MethodFrame(BinaryPrimitives.ReadUInt16BigEndian(frame.Payload), BinaryPrimitives.ReadUInt16BigEndian(frame.Payload.AsSpan(2)), frame.Payload);
            }
        }
    }

    private static async Task<RawFrame> ReadFrameAsync(NetworkStream stream)
    {
        var header = new byte[7];
        await stream.ReadExactlyAsync(header);
        var size = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(3));
        var payload = new byte[size + 1];
        await stream.ReadExactlyAsync(payload);
        return new RawFrame(header[0], BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(1)), payload[..size]);
    }

    private sealed class Frame(byte type = 1)
    {
        private readonly MemoryStream _payload = new();

        public Frame Method(ushort cls, ushort method) => Short(cls).Short(method);

        public Frame Byte(byte value)
        {
            _payload.WriteByte(value);
            return this;
        }

        public Frame Short(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(b, value);
            _payload.Write(b);
            return this;
        }

        public Frame Long(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, value);
            _payload.Write(b);
            return this;
        }

        public Frame LongLong(long value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(b, value);
            _payload.Write(b);
            return this;
        }

        public Frame ShortStr(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            _payload.WriteByte((byte)bytes.Length);
            _payload.Write(bytes);
            return this;
        }

        public Frame LongStr(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Long((uint)bytes.Length);
            _payload.Write(bytes);
            return this;
        }

        public Frame Table() => Long(0);

        public Frame Bytes(byte[] value)
        {
            _payload.Write(value);
            return this;
        }

        public async Task SendAsync(NetworkStream stream, ushort channel)
        {
            var payload = _payload.ToArray();
            var frame = new byte[7 + payload.Length + 1];
            frame[0] = type;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), channel);
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(3), payload.Length);
            payload.CopyTo(frame, 7);
            frame[^1] = 0xCE;
            await stream.WriteAsync(frame);
        }
    }
}
