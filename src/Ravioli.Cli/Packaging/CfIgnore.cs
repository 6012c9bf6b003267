using System.Text;
using System.Text.RegularExpressions;

namespace Ravioli.Cli.Packaging;

/// <summary>
/// The patterns of a <c>.cfignore</c>, with <c>.gitignore</c> semantics: <c>#</c> comments, <c>!</c>
/// re-includes, a trailing <c>/</c> matches directories only, a pattern with a <c>/</c> is anchored to the
/// app's root, <c>*</c> and <c>?</c> stay within one path segment and <c>**</c> spans several. The last
/// matching pattern decides; as in git, nothing inside an excluded directory can be re-included.
/// </summary>
internal sealed class CfIgnore
{
    private readonly IReadOnlyList<Rule> _rules;

    private CfIgnore(IReadOnlyList<Rule> rules) => _rules = rules;

    public static CfIgnore Empty { get; } = new([]);

    public static CfIgnore Parse(string text)
    {
        var rules = new List<Rule>();
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            if (ToRule(raw) is { } rule)
            {
                rules.Add(rule);
            }
        }

        return new CfIgnore(rules);
    }

    public static async Task<CfIgnore> LoadAsync(string path, CancellationToken cancellationToken)
        => File.Exists(path) ? Parse(await File.ReadAllTextAsync(path, cancellationToken)) : Empty;

    /// <summary>True when <paramref name="path"/> (relative, '/'-separated) or a directory above it is ignored.</summary>
    public bool IsExcluded(string path, bool isDirectory)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 1; i < segments.Length; i++)
        {
            if (Matches(string.Join('/', segments.Take(i)), isDirectory: true))
            {
                return true;
            }
        }

        return Matches(string.Join('/', segments), isDirectory);
    }

    /// <summary>Whether the patterns ignore exactly this path (its directories are not looked at).</summary>
    public bool Matches(string path, bool isDirectory)
    {
        var ignored = false;
        foreach (var rule in _rules)
        {
            if ((!rule.DirectoryOnly || isDirectory) && rule.Pattern.IsMatch(path))
            {
                ignored = !rule.Negated;
            }
        }

        return ignored;
    }

    private static Rule? ToRule(string line)
    {
        var pattern = TrimTrailingSpaces(line);
        if (pattern.Length == 0 || pattern.StartsWith('#'))
        {
            return null;
        }

        var negated = pattern.StartsWith('!');
        if (negated)
        {
            pattern = pattern[1..];
        }

        var directoryOnly = pattern.EndsWith('/');
        pattern = pattern.TrimEnd('/');

        // A slash at the start or in the middle ties the pattern to the root; otherwise it matches at any depth.
        var anchored = pattern.Contains('/', StringComparison.Ordinal);
        pattern = pattern.TrimStart('/');
        if (pattern.Length == 0)
        {
            return null;
        }

        var body = Translate(pattern);
        var regex = anchored ? $"^{body}$" : $"^(?:.*/)?{body}$";

        // NonBacktracking: the patterns come from a file in the app, and matching must stay linear whatever it says.
        return new Rule(new Regex(regex, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking), negated, directoryOnly);
    }

    private static string Translate(string pattern)
    {
        var regex = new StringBuilder();
        var i = 0;
        if (pattern.StartsWith("**/", StringComparison.Ordinal))
        {
            regex.Append("(?:.*/)?");
            i = 3;
        }

        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c == '/' && string.CompareOrdinal(pattern, i, "/**/", 0, 4) == 0)
            {
                regex.Append("/(?:.*/)?");
                i += 4;
            }
            else if (c == '/' && i == pattern.Length - 3 && pattern.EndsWith("/**", StringComparison.Ordinal))
            {
                regex.Append("/.*");
                i += 3;
            }
            else if (c == '*')
            {
                // Other runs of asterisks are ordinary ones (gitignore's rule).
                while (i < pattern.Length && pattern[i] == '*')
                {
                    i++;
                }

                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
                i++;
            }
            else if (c == '[' && i + 2 <= pattern.Length && pattern.IndexOf(']', i + 2) is var close and > 0)
            {
                regex.Append(CharacterClass(pattern[(i + 1)..close]));
                i = close + 1;
            }
            else if (c == '\\' && i + 1 < pattern.Length)
            {
                regex.Append(Regex.Escape(pattern[i + 1].ToString()));
                i += 2;
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
                i++;
            }
        }

        return regex.ToString();
    }

    private static string CharacterClass(string inside)
    {
        var negated = inside.StartsWith('!') || inside.StartsWith('^');
        var set = new StringBuilder("[");
        if (negated)
        {
            set.Append('^');
            inside = inside[1..];
        }

        foreach (var c in inside)
        {
            // Keep ranges (a-z); escape everything else that means something inside a .NET class.
            set.Append(c is '\\' or '[' or ']' or '^' ? "\\" + c : c.ToString());
        }

        return set.Append(']').ToString();
    }

    /// <summary>Trailing spaces are dropped unless escaped with a backslash, as in gitignore.</summary>
    private static string TrimTrailingSpaces(string line)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] == ' ' && !(end > 1 && line[end - 2] == '\\'))
        {
            end--;
        }

        var trimmed = line[..end];
        return trimmed.EndsWith("\\ ", StringComparison.Ordinal) ? trimmed[..^2] + " " : trimmed;
    }

    private sealed record Rule(Regex Pattern, bool Negated, bool DirectoryOnly);
}
