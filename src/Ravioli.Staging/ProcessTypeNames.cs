namespace Ravioli.Staging;

internal static class ProcessTypeNames
{
    public const string Web = "web";
}
