using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.Services;

/// <summary>
/// The JSON object of <c>-c</c> (parameters) and <c>-p</c> (credentials), given inline or as the path of a
/// file, as cf takes them. It is read and checked before any request, so a typo changes nothing.
/// </summary>
internal static class JsonArgument
{
    /// <summary>The largest file read as parameters; anything bigger is not a parameters file.</summary>
    private const long MaxFileBytes = 1024 * 1024;

    /// <summary>The object in <paramref name="value"/> (JSON, or a file holding JSON); null when the flag was not given.</summary>
    public static JsonObject? Read(string? value, string flag, string workingDirectory)
    {
        if (value is null)
        {
            return null;
        }

        if (LooksLikeJson(value))
        {
            return Parse(value, $"The JSON given with {flag}");
        }

        if (FindFile(value, workingDirectory) is { } file)
        {
            return ParseFile(file, flag);
        }

        throw new CliException(
            $"{flag} '{value}' is neither a JSON object nor a file. Give the object inline, e.g. {flag} '{{\"name\":\"value\"}}', or the path of a file holding one.");
    }

    /// <summary>True when the text is meant as JSON rather than as a file name or a list of names.</summary>
    public static bool LooksLikeJson(string value) => value.TrimStart() is ['{', ..] or ['[', ..];

    /// <summary>The file <paramref name="value"/> names, relative to <paramref name="workingDirectory"/>; null when there is none.</summary>
    public static string? FindFile(string value, string workingDirectory)
    {
        try
        {
            var path = Path.GetFullPath(value, workingDirectory);
            return File.Exists(path) ? path : null;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }

    public static JsonObject ParseFile(string path, string flag)
    {
        var name = Path.GetFileName(path);
        string text;
        try
        {
            if (new FileInfo(path).Length > MaxFileBytes)
            {
                throw new CliException($"{name} (given with {flag}) is more than 1M; that is not a JSON parameters file.");
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot read {path} (given with {flag}): {e.Message}", e);
        }

        return Parse(text, $"{name} (given with {flag})");
    }

    private static JsonObject Parse(string text, string what)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new CliException($"{what} is not valid JSON: {Reason(e)}. Give a JSON object, e.g. '{{\"name\":\"value\"}}'.", e);
        }

        return node as JsonObject
            ?? throw new CliException($"{what} must be a JSON object such as '{{\"name\":\"value\"}}', not {Kind(node)}.");
    }

    /// <summary>System.Text.Json's reason without its "Path: $ | LineNumber: 0 | BytePositionInLine: 7." tail, said better here.</summary>
    private static string Reason(JsonException e)
    {
        var message = e.Message;
        foreach (var tail in (string[])[" Path: ", " LineNumber: "])
        {
            var cut = message.IndexOf(tail, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }

        message = message.TrimEnd().TrimEnd('.');
        return e.LineNumber is { } line && e.BytePositionInLine is { } column
            ? $"{message} (line {line + 1}, column {column + 1})"
            : message;
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "an array",
        _ => $"the value {node.ToJsonString()}",
    };
}
