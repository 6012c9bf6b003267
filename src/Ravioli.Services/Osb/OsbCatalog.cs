using System.Text.Json.Nodes;

namespace Ravioli.Services.Osb;

/// <summary>A broker's validated catalog (GET /v2/catalog).</summary>
public sealed record OsbCatalog(IReadOnlyList<OsbService> Services)
{
    /// <summary>
    /// What the spec only RECOMMENDS and the catalog does not do (names that are not CLI-friendly, descriptions over 255
    /// characters, unknown "requires" values), each with its JSON path. The catalog is usable; show these to the operator.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>A Service Offering from a broker's catalog.</summary>
public sealed record OsbService(
    string Id,
    string Name,
    string Description,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> Requires,
    bool Bindable,
    bool InstancesRetrievable,
    bool BindingsRetrievable,
    bool PlanUpdateable,
    bool AllowContextUpdates,
    JsonObject? Metadata,
    JsonObject? DashboardClient,
    IReadOnlyList<OsbPlan> Plans);

/// <summary>A Service Plan; null <see cref="Bindable"/> and <see cref="PlanUpdateable"/> inherit the offering's value.</summary>
public sealed record OsbPlan(
    string Id,
    string Name,
    string Description,
    bool Free,
    bool? Bindable,
    bool? PlanUpdateable,
    JsonObject? Metadata,
    JsonObject? Schemas,
    JsonObject? MaintenanceInfo,
    int? MaximumPollingDuration)
{
    /// <summary>Whether Service Bindings of this plan may be rotated (binding_rotatable, default false).</summary>
    public bool BindingRotatable { get; init; }
}

/// <summary>The broker answered its catalog, but the catalog breaks the OSB spec; <see cref="Errors"/> lists every problem with its JSON path.</summary>
public sealed class OsbCatalogException : Exception
{
    public OsbCatalogException(IReadOnlyList<string> errors)
        : base(FormatMessage(errors))
    {
        Errors = errors;
    }

    public OsbCatalogException()
        : this(["the catalog is invalid"])
    {
    }

    public OsbCatalogException(string message)
        : this([message])
    {
    }

    public OsbCatalogException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; }

    private static string FormatMessage(IReadOnlyList<string> errors) =>
        errors.Count == 1
            ? $"the broker's catalog is invalid: {errors[0]}"
            : $"the broker's catalog is invalid ({errors.Count} problems): {string.Join("; ", errors)}";
}

/// <summary>The broker could not be asked for its catalog: unreachable, too slow, wrong credentials or a non-200 answer. The message says what to check.</summary>
public sealed class OsbBrokerException : Exception
{
    public OsbBrokerException(string message, int? status)
        : base(message)
    {
        Status = status;
    }

    public OsbBrokerException()
        : this("the broker could not be reached", status: null)
    {
    }

    public OsbBrokerException(string message)
        : this(message, status: null)
    {
    }

    public OsbBrokerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status the broker answered, or null when there was no answer.</summary>
    public int? Status { get; }
}
