"""The rows preview of a dataset: dash-ag-grid with the infinite row model.

The grid asks for one block of rows at a time (`getRowsRequest`: start, end, sortModel) and the
page's callback answers that block only (`getRowsResponse`), so sorting and paging happen on the
server and a 10-million-row table never reaches the browser. `grid_sync` gives the grid its
accessible name and makes it ask again from the first row when the page's filters change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, dcc, html

from opendata.browse import BLOCK_ROWS

HEIGHT = "28rem"  # the server's preview draws an empty box of the same height
NUMERIC = ("integer", "number")


def rows_grid(grid_id: str, columns: Sequence[Mapping[str, Any]]) -> dag.AgGrid:
    """The grid for a dataset's public columns, sortable by any column (shift-click: several)."""
    return dag.AgGrid(
        id=grid_id,
        className="data-grid",
        rowModelType="infinite",
        columnDefs=[{"field": c["name"], "headerName": c["name"],
                     **({"type": "rightAligned"} if c["type"] in NUMERIC else {})}
                    for c in columns],
        defaultColDef={"sortable": True, "resizable": True, "filter": False, "minWidth": 120},
        # At most 20 blocks are kept: scrolling far drops the blocks left behind.
        dashGridOptions={"cacheBlockSize": BLOCK_ROWS, "maxBlocksInCache": 20,
                         "blockLoadDebounceMillis": 100},
        style={"height": HEIGHT, "width": "100%"},
    )


def grid_slot(slot_id: str) -> html.Div:
    """Where the grid goes once its script is loaded (assets/grid-loader.js finds it by its
    class and sets `<slot_id>-wanted`)."""
    return html.Div([dcc.Store(id=f"{slot_id}-wanted")], id=slot_id,
                    className="data-grid grid-slot", style={"height": HEIGHT, "width": "100%"})


def grid_sync(grid_id: str, slot_id: str, label_id: str, query_store: str,
              done_store: str) -> None:
    """Name the grid by the element label_id and, when query_store (the filters' query string)
    changes, empty its blocks so it asks again from the top. done_store (a dcc.Store starting
    empty) holds the query string the grid shows. Runs again when the grid arrives in slot_id.
    Call once at import."""
    dash.clientside_callback(
        f"""
        async function(search, grid, synced) {{
            if (!window.dash_ag_grid || !grid || !grid.props || grid.props.id !== {grid_id!r}) {{
                return window.dash_clientside.no_update;  // not in its slot yet
            }}
            const api = await window.dash_ag_grid.getApiAsync({grid_id!r});
            document.querySelectorAll('#{grid_id} [role=grid], #{grid_id} [role=treegrid]')
                .forEach((grid) => grid.setAttribute('aria-labelledby', {label_id!r}));
            if (synced !== null && synced !== undefined && synced !== search) {{
                api.purgeInfiniteCache();  // the grid asks for its first block again
                api.ensureIndexVisible(0, 'top');
            }}
            return search;
        }}
        """,
        Output(done_store, "data"),
        Input(query_store, "data"),
        Input(slot_id, "children"),
        State(done_store, "data"),
    )
