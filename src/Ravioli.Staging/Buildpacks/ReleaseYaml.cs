using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Ravioli.Staging.Buildpacks;

/// <summary>Parses what a buildpack's <c>bin/release</c> prints (<c>default_process_types</c>, <c>config_vars</c>).</summary>
internal static class ReleaseYaml
{
    /// <exception cref="FormatException">The text is not YAML of the release shape; the message says what is wrong.</exception>
    public static BuildpackRelease Parse(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new FormatException($"it is not valid YAML ({e.Start}: {e.Message})", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            return new BuildpackRelease(new Dictionary<string, string>());
        }
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new FormatException("it is not a YAML mapping (expected keys such as default_process_types)");
        }
        return new BuildpackRelease(StringMap(root, "default_process_types"))
        {
            ConfigVars = StringMap(root, "config_vars"),
        };
    }

    private static Dictionary<string, string> StringMap(YamlMappingNode root, string key)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.Children.TryGetValue(new YamlScalarNode(key), out var node) || node is YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            return map;
        }
        if (node is not YamlMappingNode mapping)
        {
            throw new FormatException($"'{key}' is not a mapping");
        }
        foreach (var (name, value) in mapping.Children)
        {
            if (name is not YamlScalarNode { Value: { Length: > 0 } nameText })
            {
                throw new FormatException($"'{key}' has a key that is not a string");
            }
            if (value is not YamlScalarNode scalar)
            {
                throw new FormatException($"'{key}.{nameText}' is not a string");
            }
            map[nameText] = scalar.Value ?? "";
        }
        return map;
    }
}
