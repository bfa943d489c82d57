# sources of mm
