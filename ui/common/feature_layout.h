// FeatureLayout: how a feature fills the workspace (issue 14). Its main view owns the central
// area (results grid, the attention map, the denoising steps, the curves); its settings sit in
// a side panel on the right, sized to fit a 1366 x 768 screen without scrolling for the common
// case (it scrolls vertically only when the window is smaller). Lightroom's modules and
// digiKam's right sidebar are the model.
//
// The splitter is remembered per feature: MainWindow saves and restores every FeatureLayout
// it finds by objectName (QSettings "layout/<objectName>") and View > Reset Layout calls
// resetLayout(). Give each FeatureLayout a unique objectName ("classifyLayout", ...).
#pragma once

#include <QSplitter>

class QScrollArea;

class FeatureLayout : public QSplitter {
    Q_OBJECT
public:
    static constexpr int kSideWidth = 360; // the side panel's default width in pixels

    explicit FeatureLayout(QWidget *parent = nullptr);

    // The central part; stretches with the window.
    void setMainView(QWidget *view);
    // The settings; wrapped in a frameless vertical scroll area, kSideWidth wide by default.
    void setSidePanel(QWidget *panel);

    QWidget *mainView() const { return m_main; }
    QWidget *sidePanel() const { return m_side; }

    QByteArray saveLayout() const { return saveState(); }
    bool restoreLayout(const QByteArray &state);
    void resetLayout(); // the default sizes: the side panel kSideWidth, the rest to the main view

protected:
    void showEvent(QShowEvent *event) override;

private:
    QWidget *m_main = nullptr;
    QWidget *m_side = nullptr;
    QScrollArea *m_sideScroll = nullptr;
    bool m_sized = false; // default sizes applied (or a saved state restored) once
};
