using System.Globalization;

namespace Ravioli.Node.Reconciling;

/// <summary>
/// Instance identity that carries its process, generation and index, so the node can tell after a
/// restart (from the executor's own state) which instances belong to which rollout, with no extra file.
/// </summary>
public sealed record InstanceName(string ProcessGuid, int Generation, int Index)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{ProcessGuid}-g{Generation}-i{Index}");

    public static InstanceName? TryParse(string value)
    {
        var i = value.LastIndexOf("-i", StringComparison.Ordinal);
        var g = i < 0 ? -1 : value.LastIndexOf("-g", i, StringComparison.Ordinal);
        if (g <= 0
            || !int.TryParse(value.AsSpan(g + 2, i - g - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            || !int.TryParse(value.AsSpan(i + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return null;
        }
        return new InstanceName(value[..g], generation, index);
    }
}
