using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ravioli.Store.Migrations;

/// <summary>
/// The default app list orders by (created_at, guid) and pages through it; without an index both engines sort the
/// whole table on every page. Plain CREATE INDEX works on SQLite and PostgreSQL alike.
/// </summary>
[DbContext(typeof(RavioliDb))]
[Migration("20261122000006_AppListIndex")]
public sealed class AppListIndex : Migration
{
    protected override void Up(MigrationBuilder m) =>
        m.CreateIndex("ix_apps_created_at_guid", "apps", ["created_at", "guid"]);
}
