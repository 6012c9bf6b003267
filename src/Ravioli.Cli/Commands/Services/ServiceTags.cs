namespace Ravioli.Cli.Commands.Services;

/// <summary>The <c>-t "tag1, tag2"</c> of the service commands: a comma-separated list, as in cf.</summary>
internal static class ServiceTags
{
    /// <summary>The tags; null when <c>-t</c> was not given, empty for <c>-t ""</c> (which clears them).</summary>
    public static IReadOnlyList<string>? Parse(string? value)
        => value?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();

    public static string Format(IReadOnlyList<string>? tags) => string.Join(", ", tags ?? []);
}
