using System.Security.Cryptography;
using System.Text;

namespace Ravioli.Cli.Commands.Push;

/// <summary>Host names for routes made from app names: the default route, and <c>--random-route</c>'s.</summary>
internal static class RouteHosts
{
    private const int MaxLabel = 63;

    private static readonly string[] Adjectives =
    [
        "brave", "calm", "clever", "eager", "fancy", "gentle", "happy", "jolly", "kind", "lively", "lucky", "merry",
        "nimble", "proud", "quick", "quiet", "shiny", "silly", "sunny", "swift", "tidy", "witty", "zesty", "bold",
    ];

    private static readonly string[] Nouns =
    [
        "badger", "bear", "beaver", "crane", "dolphin", "falcon", "ferret", "fox", "gecko", "heron", "koala", "lemur",
        "lynx", "marmot", "otter", "panda", "puffin", "quokka", "raven", "seal", "tapir", "walrus", "wombat", "yak",
    ];

    /// <summary>The app's name as a DNS label: lower case, other characters turned into '-', at most 63 long.</summary>
    public static string FromAppName(string name)
    {
        var label = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            label.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '-');
        }

        var text = CollapseDashes(label.ToString()).Trim('-');
        if (text.Length > MaxLabel)
        {
            text = text[..MaxLabel].TrimEnd('-');
        }

        return text.Length == 0 ? "app" : text;
    }

    /// <summary>NAME-adjective-noun, trimmed so the whole stays a valid label; random words make taken hosts unlikely.</summary>
    public static string Random(string name)
    {
        var suffix = $"-{Adjectives[RandomNumberGenerator.GetInt32(Adjectives.Length)]}-{Nouns[RandomNumberGenerator.GetInt32(Nouns.Length)]}";
        var prefix = FromAppName(name);
        if (prefix.Length + suffix.Length > MaxLabel)
        {
            prefix = prefix[..(MaxLabel - suffix.Length)].TrimEnd('-');
        }

        return prefix + suffix;
    }

    private static string CollapseDashes(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c != '-' || result.Length == 0 || result[^1] != '-')
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }
}
