using System.Globalization;

namespace Ravioli.Cli.Commands;

/// <summary>Parses and prints quota limits; null always means unlimited, as in the API.</summary>
internal static class Limits
{
    /// <summary>Megabytes from "512M", "2G", "1T", "1024" (MB); null for "-1" or "unlimited".</summary>
    public static long? ParseMemory(string text, string option)
    {
        var value = text.Trim();
        if (IsUnlimited(value))
        {
            return null;
        }

        var upper = value.ToUpperInvariant();
        if (upper.EndsWith('B'))
        {
            upper = upper[..^1];
        }

        var factor = 1L;
        if (upper.Length > 0 && char.IsLetter(upper[^1]))
        {
            factor = upper[^1] switch
            {
                'M' => 1L,
                'G' => 1024L,
                'T' => 1024L * 1024L,
                _ => 0L,
            };
            upper = upper[..^1];
        }

        if (factor == 0
            || !long.TryParse(upper, NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
            || amount > long.MaxValue / factor)
        {
            throw new CliException($"Invalid memory '{text}' for {option}. Use megabytes (1024) or a size such as 512M or 2G, or 'unlimited'.");
        }

        return amount * factor;
    }

    /// <summary>Megabytes from "256M", "1G", "1024" (MB) for an instance's memory or disk, where "unlimited" makes no sense.</summary>
    public static long ParseSize(string text, string option)
        => TryParseMegabytes(text, out var megabytes) && megabytes > 0
            ? megabytes
            : throw new CliException($"Invalid size '{text}' for {option}. Use a size such as 256M or 1G (or megabytes: 256).");

    /// <summary>Parses "256M", "1G", "1T", "512MB", "1024" (megabytes); false for anything else, including "unlimited".</summary>
    public static bool TryParseMegabytes(string text, out long megabytes)
    {
        megabytes = 0;
        var value = text.Trim();
        if (IsUnlimited(value))
        {
            return false;
        }

        try
        {
            megabytes = ParseMemory(value, "size") ?? 0;
            return true;
        }
        catch (CliException)
        {
            return false;
        }
    }

    /// <summary>A whole number of at least 0 (instances).</summary>
    public static int ParseInstances(string text, string option)
        => int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw new CliException($"Invalid number '{text}' for {option}. Use a whole number of at least 0.");

    /// <summary>A count such as "10"; null for "-1" or "unlimited".</summary>
    public static long? ParseCount(string text, string option)
    {
        var value = text.Trim();
        if (IsUnlimited(value))
        {
            return null;
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw new CliException($"Invalid number '{text}' for {option}. Use a whole number of at least 0, or 'unlimited'.");
    }

    public static string FormatMemory(long? megabytes) => megabytes switch
    {
        null => "unlimited",
        >= 1024 and var mb when mb % 1024 == 0 => $"{(mb / 1024).ToString(CultureInfo.InvariantCulture)}G",
        var mb => $"{mb.Value.ToString(CultureInfo.InvariantCulture)}M",
    };

    public static string FormatCount(long? count) => count?.ToString(CultureInfo.InvariantCulture) ?? "unlimited";

    private static bool IsUnlimited(string value)
        => value == "-1" || value.Equals("unlimited", StringComparison.OrdinalIgnoreCase);
}
