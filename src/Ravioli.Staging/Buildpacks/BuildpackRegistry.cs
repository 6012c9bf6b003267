using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Ravioli.Staging.Buildpacks.BuiltIn;
using Ravioli.Staging.Buildpacks.Operator;

namespace Ravioli.Staging.Buildpacks;

/// <summary>One entry of a <see cref="BuildpackRegistry"/>: a name, a 1-based position, and for operator buildpacks their directory.</summary>
public sealed record RegisteredBuildpack(string Name, int Position, string? Directory)
{
    public bool IsBuiltIn => Directory is null;
}

/// <summary>
/// The buildpacks a stager can use, in detection order: the built-ins plus operator buildpacks, each at
/// a position, as in <c>cf buildpacks</c>. Immutable: "changing" it returns a new registry, so a staging
/// in progress keeps the list it started with.
/// </summary>
public sealed partial class BuildpackRegistry
{
    private readonly ImmutableArray<IBuildpack> _buildpacks;

    private BuildpackRegistry(ImmutableArray<IBuildpack> buildpacks)
    {
        _buildpacks = buildpacks;
    }

    /// <summary>The built-in buildpacks, in the order they detect: dotnet_core, nodejs, python, go, java, staticfile, then binary (never detected).</summary>
    public static BuildpackRegistry Default { get; } = new([
        new DotnetCoreBuildpack(),
        new NodejsBuildpack(),
        new PythonBuildpack(),
        new GoBuildpack(),
        new JavaBuildpack(),
        new StaticfileBuildpack(),
        new BinaryBuildpack(),
    ]);

    /// <summary>Every buildpack with its position.</summary>
    public IReadOnlyList<RegisteredBuildpack> Buildpacks =>
        _buildpacks.Select((b, i) => new RegisteredBuildpack(b.Name, i + 1, (b as OperatorBuildpack)?.Directory)).ToList();

    /// <summary>
    /// Adds an operator buildpack installed in <paramref name="directory"/> (see <see cref="BuildpackPackage"/>)
    /// at <paramref name="position"/> (1 = detected first; those at and after it move down one; null or past the end = last).
    /// </summary>
    /// <summary>Whether a name can be registered: letters, digits, '_', '-' and '.'.</summary>
    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    public BuildpackRegistry WithBuildpack(string name, string directory, int? position = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!ValidName().IsMatch(name))
        {
            throw new ArgumentException($"Buildpack name '{name}' is invalid: use letters, digits, '_', '-' and '.'.", nameof(name));
        }
        if (Find(name) is not null)
        {
            throw new ArgumentException($"A buildpack named '{name}' is already registered.", nameof(name));
        }
        if (position is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, "Buildpack positions start at 1.");
        }
        var fullDirectory = Path.GetFullPath(directory);
        if (!BuildpackPackage.IsBuildpack(fullDirectory))
        {
            throw new ArgumentException($"{fullDirectory} is not a buildpack: it has no bin/detect.", nameof(directory));
        }
        var index = position is { } p ? Math.Min(p - 1, _buildpacks.Length) : _buildpacks.Length;
        return new BuildpackRegistry(_buildpacks.Insert(index, new OperatorBuildpack(name, fullDirectory)));
    }

    /// <summary>Removes a buildpack (built-in or not); unknown names are ignored.</summary>
    public BuildpackRegistry WithoutBuildpack(string name) =>
        new(_buildpacks.RemoveAll(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase)));

    internal IReadOnlyList<IBuildpack> InOrder => _buildpacks;

    internal IBuildpack? Find(string name) =>
        _buildpacks.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\z")]
    private static partial Regex ValidName();
}
