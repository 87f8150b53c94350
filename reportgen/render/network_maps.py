"""A CNN's mean channel activation maps per predicted class, as the network section shows them.

Each published class map is drawn by the heat-map figures of :mod:`reportgen.render.heatmaps`
on one colour scale shared by the classes of the layer: from the smaller of 0 and the lowest
published value (dark) to the highest published value (bright), in the layer's own units, so
the classes' maps compare directly. A withheld class shows its label and the reason, never a map.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.render.format import fmt_num, plural
from reportgen.render.heatmap_png import data_uri, legend_png
from reportgen.render.heatmaps import ColourLegend, MapFamilyView, family_view
from reportgen.results.imaging import MapFamily, MeanMap
from reportgen.results.network import ChannelMaps

TITLE = "channel activation"
"""The kind of map, in the figures' alt texts."""


@dataclass(frozen=True)
class ChannelMapsView:
    intro: str
    legend: ColourLegend
    family: MapFamilyView


def channel_maps_view(maps: ChannelMaps) -> ChannelMapsView:
    """The section's channel maps: one figure per class on the layer's shared scale."""
    values = [v for g in maps.groups if g.values for row in g.values for v in row]
    low, high = (min(0.0, min(values)), max(values)) if values else (0.0, 0.0)
    span = high - low or 1.0
    family = MapFamily(
        name="predicted class",
        by=maps.by,
        groups=[
            MeanMap(
                group=g.group,
                images=g.images,
                values=[[(v - low) / span for v in row] for row in g.values] if g.values else None,
                suppressed=g.suppressed,
            )
            for g in maps.groups
        ],
    )
    return ChannelMapsView(
        intro=(
            f"The activations of layer {maps.layer} (the last convolution's, {maps.channels} "
            "channels) averaged over its channels, then over the evaluation images the model "
            f"assigns to each class ({plural(maps.images, 'image')} in all): where in the image "
            "the network's last feature maps respond, class by class. A class's map is shown "
            "only where the class holds at least the minimum cohort size; the others are "
            "withheld with the reason."
        ),
        legend=ColourLegend(
            image=data_uri(legend_png()),
            low=fmt_num(low),
            high=fmt_num(high),
            caption="One colour scale for the classes' maps, in the layer's own units.",
            alt=f"Colour scale from dark ({fmt_num(low)}) to bright ({fmt_num(high)}), the "
            "layer's mean activation",
        ),
        family=family_view(family, TITLE),
    )


__all__ = ["ChannelMapsView", "channel_maps_view"]
