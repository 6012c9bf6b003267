using System.Globalization;

namespace Ravioli.Cli.Output;

/// <summary>Byte counts the way cf prints them: 512B, 12.3K, 31M, 1G (binary units, one decimal when not whole).</summary>
internal static class ByteSize
{
    private static readonly (long Factor, string Unit)[] Units =
    [
        (1L << 40, "T"),
        (1L << 30, "G"),
        (1L << 20, "M"),
        (1L << 10, "K"),
    ];

    public static string Format(long bytes)
    {
        if (bytes < 0)
        {
            return "0B";
        }

        foreach (var (factor, unit) in Units)
        {
            if (bytes >= factor)
            {
                var value = Math.Round((double)bytes / factor, 1, MidpointRounding.AwayFromZero);
                return value.ToString(value % 1 == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + unit;
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }
}
