using System.Text.RegularExpressions;

namespace Ravioli.Staging.Buildpacks;

/// <summary>Heroku's and Cloud Foundry's <c>Procfile</c>: <c>type: command</c> lines.</summary>
internal static partial class Procfile
{
    public const string FileName = "Procfile";

    public sealed record ParseResult(IReadOnlyDictionary<string, string> ProcessTypes, IReadOnlyList<string> IgnoredLines);

    public static ParseResult Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var ignored = new List<string>();
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var match = LinePattern().Match(line);
            if (!match.Success)
            {
                ignored.Add(line);
                continue;
            }
            // Later lines win, as in Heroku.
            types[match.Groups["type"].Value] = match.Groups["command"].Value.Trim();
        }
        return new ParseResult(types, ignored);
    }

    public static async Task<ParseResult?> ReadAsync(string appDirectory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(appDirectory, FileName);
        return File.Exists(path) ? Parse(await File.ReadAllTextAsync(path, cancellationToken)) : null;
    }

    [GeneratedRegex(@"^(?<type>[A-Za-z0-9_-]+)\s*:\s*(?<command>\S.*)$")]
    private static partial Regex LinePattern();
}
