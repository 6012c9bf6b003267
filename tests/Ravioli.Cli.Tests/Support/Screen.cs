using System.Net;
using System.Net.Sockets;

namespace Ravioli.Cli.Tests.Support;

/// <summary>Reading rav's text output the way a person would.</summary>
internal static class Screen
{
    /// <summary>The indented lines under a heading of <c>org-users</c>/<c>space-users</c> output.</summary>
    public static IReadOnlyList<string> Section(string output, string heading)
    {
        var lines = output.ReplaceLineEndings("\n").Split('\n');
        var start = Array.IndexOf(lines, heading);
        Assert.True(start >= 0, $"No '{heading}' section in:\n{output}");
        return lines.Skip(start + 1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
    }

    /// <summary>The first cell of each row of a table, header excluded.</summary>
    public static IReadOnlyList<string> FirstColumn(string output, string header)
    {
        var lines = output.ReplaceLineEndings("\n").Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith(header, StringComparison.Ordinal));
        Assert.True(start >= 0, $"No table with header '{header}' in:\n{output}");
        return lines.Skip(start + 1).Where(l => l.Length > 0).Select(l => l.Split(' ')[0]).ToList();
    }

    /// <summary>A port nothing listens on, for "API is down" tests.</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
