using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Ravioli.Brokers.Processes;

/// <summary>Generated passwords, names and ports.</summary>
internal static class Generate
{
    private const string Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A random password of [A-Za-z0-9] only, so it is safe inside SQL literals, URIs and config files unescaped.</summary>
    public static string Password(int length = 32) => RandomNumberGenerator.GetString(Alphanumeric, length);

    /// <summary>A stable lowercase hex name fragment for an id chosen by the platform (which may hold any characters).</summary>
    public static string Hash(string value, int length = 16)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(value));
        return Convert.ToHexStringLower(hash)[..length];
    }

    /// <summary>A loopback TCP port that is free right now, avoiding the ones already handed out.</summary>
    public static int FreePort(IReadOnlyCollection<int>? avoid = null)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (avoid is null || !avoid.Contains(port))
            {
                return port;
            }
        }
        throw new InvalidOperationException("no free loopback port found");
    }

    /// <summary>True when something accepts TCP connections on 127.0.0.1:port.</summary>
    public static async Task<bool> PortAnswersAsync(int port, CancellationToken ct)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
