namespace Ravioli.Staging.Buildpacks;

/// <summary>Names of the built-in buildpacks, as Cloud Foundry names its own.</summary>
public static class BuildpackNames
{
    public const string DotnetCore = "dotnet_core_buildpack";
    public const string Nodejs = "nodejs_buildpack";
    public const string Python = "python_buildpack";
    public const string Go = "go_buildpack";
    public const string Java = "java_buildpack";
    public const string Staticfile = "staticfile_buildpack";
    public const string Binary = "binary_buildpack";

    public static readonly IReadOnlyList<string> All = [DotnetCore, Nodejs, Python, Go, Java, Staticfile, Binary];
}
