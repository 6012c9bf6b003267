using System.Buffers;

namespace Ravioli.Staging.Running;

/// <summary>POSIX shell quoting, for commands shown to users and for scripts written into droplets.</summary>
internal static class ShellQuoting
{
    private static readonly SearchValues<char> s_plain =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%");

    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public static string QuoteIfNeeded(string value) =>
        value.Length > 0 && !value.AsSpan().ContainsAnyExcept(s_plain) ? value : Quote(value);
}
