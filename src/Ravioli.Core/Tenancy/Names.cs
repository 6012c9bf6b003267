using System.Globalization;
using System.Text.RegularExpressions;

namespace Ravioli.Core.Tenancy;

/// <summary>Rules for user-chosen names; each returns null when the value is acceptable, else a message for the field.</summary>
public static partial class Names
{
    public const int MaxLength = 255;

    public static string? CheckResourceName(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "is required and must not be blank";
        }
        if (value.Length > MaxLength)
        {
            return $"must be at most {MaxLength} characters (got {value.Length})";
        }
        if (value.Any(c => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned))
        {
            return "must not contain control or invisible characters";
        }
        if (value != value.Trim())
        {
            return "must not start or end with whitespace";
        }
        return null;
    }

    public static string? CheckUsername(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "is required";
        }
        if (value.Length > MaxLength)
        {
            return $"must be at most {MaxLength} characters (got {value.Length})";
        }
        return UsernamePattern().IsMatch(value) ? null : "may contain only letters, digits and . _ - @ +";
    }

    public static string? CheckPassword(string? value) => value switch
    {
        null or "" => "is required",
        { Length: < 8 } => "must be at least 8 characters",
        { Length: > 1024 } => "must be at most 1024 characters",
        _ => null,
    };

    public static string? CheckEnvironmentVariableName(string name)
    {
        if (!EnvNamePattern().IsMatch(name) || name.Length > MaxLength)
        {
            return "must match [A-Za-z_][A-Za-z0-9_]* and be at most 255 characters";
        }
        if (name.StartsWith("VCAP_", StringComparison.OrdinalIgnoreCase) || name.StartsWith("CF_", StringComparison.OrdinalIgnoreCase)
            || name.Equals("PORT", StringComparison.OrdinalIgnoreCase))
        {
            return "is reserved by the platform (PORT, VCAP_*, CF_*)";
        }
        return null;
    }

    /// <summary>Usernames are compared case-insensitively, as UAA does.</summary>
    public static string UsernameKey(string username) => username.ToLowerInvariant();

    [GeneratedRegex(@"^[A-Za-z0-9._@+-]+\z")]
    private static partial Regex UsernamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex EnvNamePattern();
}
